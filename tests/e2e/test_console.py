"""The technician's console in Debian's Chromium against the real server: alerts by severity
and age with what to do and bring, acknowledgements, maintenance windows and contacts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from aedmon.reading import TestResult

from ..conftest import ServerProcess
from .conftest import screenshot, send, switch_language


def test_the_console_lists_by_severity_and_an_acknowledgement_changes_the_state(
    fleet: ServerProcess, browser: Any
) -> None:
    send(fleet, 2, TestResult.FAIL, "SN1", codes=("C02",))  # critical; SN2's minor warning opened earlier
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(f"{fleet.url}/console#token={fleet.tokens.technician}")
    page.wait_for_selector("[data-alert]")
    cards = page.locator("[data-alert]")
    first = cards.first.inner_text()
    assert "Self-test failed · Reception AED" in first
    assert "Reception AED" in first
    assert "critical" in first
    assert "What to do: The AED may not work in a rescue." in first
    severities = [cards.nth(i).get_attribute("class") for i in range(cards.count())]
    assert severities == ["alert critical", "alert major", "alert minor"]
    assert "Battery low · Council chamber AED" in cards.nth(1).inner_text()
    assert "Self-test needs attention · Council chamber AED" in cards.nth(2).inner_text()
    bring = page.locator("#bring").inner_text()
    assert bring == "To bring: spare AED ×1 (Reception AED); battery ×1 (Council chamber AED)"
    screenshot(page, "console.png")
    critical = page.locator('[data-alert]:has-text("Self-test failed")')
    critical.locator("input[name=note]").fill("on my way with a spare AED")
    critical.locator("form.ack button").click()
    page.wait_for_selector('[data-alert][data-state="acknowledged"]', timeout=10_000)
    acked = page.locator('[data-alert][data-state="acknowledged"]').inner_text()
    assert "technician" in acked
    assert "on my way with a spare AED" in acked
    alerts = fleet.get("/api/v1/alerts", state="acknowledged")
    assert [(a["type"], a["ack_note"]) for a in alerts] == [  # type: ignore[attr-defined, index]
        ("self_test_failed", "on my way with a spare AED")
    ]


def test_a_viewer_key_cannot_acknowledge_from_the_console(fleet: ServerProcess, browser: Any) -> None:
    send(fleet, 2, TestResult.FAIL, "SN1", codes=("C02",))
    page = browser.new_page()
    page.goto(f"{fleet.url}/console#token={fleet.tokens.viewer}")
    page.wait_for_selector("[data-alert]")
    switch_language(page, "cs")
    assert "Autotest selhal" in page.locator("[data-alert]").first.inner_text()
    assert page.locator("[data-alert] form.ack, [data-alert] button").count() == 0  # nothing offered
    assert page.locator("#silence-form").is_hidden()
    assert page.locator("#contacts-section").is_hidden()
    alert_id = fleet.get("/api/v1/alerts", state="open", device_id="SN1")[0]["id"]  # type: ignore[index]
    refused = page.evaluate(
        """async ([id, key]) => (await fetch(`/api/v1/alerts/${id}/ack`,
             {method: "POST", headers: {Authorization: "Bearer " + key}})).status""",
        [alert_id, fleet.tokens.viewer],
    )
    assert refused == 403  # and the server refuses it all the same
    assert fleet.get("/api/v1/alerts", state="acknowledged") == []


def test_a_technician_starts_and_ends_a_maintenance_window(fleet: ServerProcess, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(f"{fleet.url}/console#token={fleet.tokens.technician}")
    form = page.locator("#silence-form")
    form.wait_for()
    page.wait_for_selector("#silence-form select[name=target] option[value='device:SN2']", state="attached")
    assert "No maintenance window" in page.locator("#silences").inner_text()
    form.locator("select[name=target]").select_option("device:SN2")
    form.locator("input[name=reason]").fill("battery replacement in the council chamber")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#silences [data-silence]")
    listed = page.locator("#silences [data-silence]").inner_text()
    assert "Council chamber AED" in listed
    assert "battery replacement" in listed
    assert "technician" in listed
    [silence] = fleet.get("/api/v1/silences", active="true")  # type: ignore[misc]
    assert (silence["device_id"], silence["site"]) == ("SN2", None)
    hours = datetime.fromisoformat(silence["ends_at"]) - datetime.fromisoformat(silence["starts_at"])
    assert timedelta(hours=3, minutes=58) < hours <= timedelta(hours=4, minutes=1)  # the form's 4 h
    screenshot(page, "console-maintenance.png", "#silences-section")
    page.locator("#silences [data-silence] button").click()
    page.wait_for_selector("#silences li.empty")
    assert fleet.get("/api/v1/silences", active="true") == []
    assert len(fleet.get("/api/v1/silences")) == 1  # ended, still on record  # type: ignore[arg-type]


def test_a_whole_site_can_be_silenced_and_a_refusal_is_shown(fleet: ServerProcess, browser: Any) -> None:
    page = browser.new_page(timezone_id="UTC")
    page.goto(f"{fleet.url}/console#token={fleet.tokens.technician}")
    site_option = "#silence-form select[name=target] option[value='site:town-hall']"
    page.wait_for_selector(site_option, state="attached")
    form = page.locator("#silence-form")
    form.locator("select[name=target]").select_option("site:town-hall")
    form.locator("input[name=reason]").fill("fire drill")
    form.locator("input[name=until]").fill("2020-01-01T10:00")  # in the past: the server says no
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#silence-form output.bad")
    assert "ends_at must be in the future" in form.locator("output").inner_text()
    assert fleet.get("/api/v1/silences") == []
    form.locator("input[name=until]").fill((datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#silence-form output.ok")
    [silence] = fleet.get("/api/v1/silences", active="true")  # type: ignore[misc]
    assert (silence["site"], silence["reason"]) == ("town-hall", "fire drill")
    later = datetime.now(UTC) + timedelta(days=7)
    form.locator("input[name=reason]").fill("yearly service by the maker")
    form.locator("input[name=starts]").fill(later.strftime("%Y-%m-%dT09:00"))
    form.locator("input[name=until]").fill(later.strftime("%Y-%m-%dT17:00"))
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#silences [data-silence]:has-text('yearly service')")  # planned ones are listed
    planned = [s for s in fleet.get("/api/v1/silences") if s["reason"] == "yearly service by the maker"]  # type: ignore[attr-defined]
    assert [(p["starts_at"][:16], p["ends_at"][:16]) for p in planned] == [
        (later.strftime("%Y-%m-%dT09:00"), later.strftime("%Y-%m-%dT17:00"))
    ]
    assert fleet.get("/api/v1/silences", active="true") == [silence]  # not yet running


def test_an_admin_adds_and_changes_a_contact_and_a_technician_only_reads_them(
    fleet: ServerProcess, browser: Any
) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 1000})
    page.goto(f"{fleet.url}/console#token={fleet.tokens.admin}")
    form = page.locator("#contact-form")
    form.wait_for()
    form.locator("input[name=name]").fill("Town hall reception")
    form.locator("select[name=language]").select_option("bg")
    form.locator("input[name=sites]").fill("town-hall")
    form.locator("select[name=min_severity]").select_option("major")
    form.locator("input[name=email]").fill("reception@pernik.example")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#contacts [data-contact]")
    [contact] = fleet.get_as("admin", "/api/v1/contacts")
    assert contact["name"] == "Town hall reception"
    assert (contact["language"], contact["sites"], contact["min_severity"]) == ("bg", ["town-hall"], "major")
    assert contact["email"] == "reception@pernik.example"
    page.locator('#contacts [data-contact] button[data-action="edit"]').click()  # the form takes its values
    assert form.locator("input[name=name]").input_value() == "Town hall reception"
    form.locator("input[name=webhook_url]").fill("https://hooks.example/T000/secret-path")
    form.locator("input[name=escalation]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#contacts [data-contact]:has-text('hooks.example')")
    listed = page.locator("#contacts [data-contact]").inner_text()
    assert "secret-path" not in listed  # a hook's path is its secret: only the host is shown
    [changed] = fleet.get_as("admin", "/api/v1/contacts")
    assert changed["id"] == contact["id"]
    assert (changed["webhook_url"], changed["escalation"]) == ("https://hooks.example/T000/secret-path", True)
    screenshot(page, "console-contacts.png", "#contacts-section")

    tech = browser.new_page()
    tech.goto(f"{fleet.url}/console#token={fleet.tokens.technician}")
    tech.wait_for_selector("#contacts [data-contact]")
    assert tech.locator("#contact-form").is_hidden()
    assert tech.locator("#admin-only").is_visible()
    assert tech.locator("#contacts [data-contact] button").count() == 0

    page.once("dialog", lambda dialog: dialog.accept())  # "Tell nothing more to Town hall reception"
    page.locator('#contacts [data-contact] button[data-action="remove"]').click()
    page.wait_for_selector("#contacts li.empty")
    assert fleet.get_as("admin", "/api/v1/contacts") == []
    [removed] = fleet.get_as("admin", "/api/v1/contacts", removed="true")
    assert removed["id"] == contact["id"]
    assert removed["retired_at"] is not None


def test_a_reported_problem_is_resolved_from_the_console(fleet: ServerProcess, browser: Any) -> None:
    key = fleet.get("/api/v1/devices/SN3")["public_key"]  # type: ignore[index]
    httpx.post(f"{fleet.url}/d/SN3/report", data={"k": key, "text": "The cabinet glass is broken"})
    page = browser.new_page()
    page.goto(f"{fleet.url}/console#token={fleet.tokens.technician}")
    card = page.locator('[data-alert][data-type="reported_problem"]')
    card.wait_for()
    assert "cabinet glass is broken" in card.inner_text()
    card.locator('button[data-action="resolve"]').click()
    page.wait_for_selector('[data-alert][data-type="reported_problem"]', state="detached")
    [alert] = fleet.get("/api/v1/alerts", device_id="SN3")  # type: ignore[misc]
    assert (alert["type"], alert["state"]) == ("reported_problem", "resolved")
