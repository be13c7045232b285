"""The technician's console in Debian's Chromium against the real server: alerts by severity
and age with what to do and bring, acknowledgements, maintenance windows and contacts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from aedmon.reading import TestResult

from .. import factories
from ..conftest import ServerProcess
from .conftest import screenshot, send, switch_language


def choose(page: Any, picker: str, typed: str, value: str) -> None:
    """Type into a picker that searches and choose the one found with this value."""
    page.locator(picker).fill(typed)
    page.locator(f"{picker}-choices[data-for='{typed}'] [data-value='{value}']").click()
    assert page.locator(picker).get_attribute("data-value") == value


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
    # all that the alerts say to bring: a failed self-test's spare pads and battery too
    assert bring == (
        "To bring: spare AED ×1 (Reception AED); pads ×1 (Reception AED); "
        "battery ×2 (Reception AED, Council chamber AED)"
    )
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
    page.wait_for_selector("#silences li.empty")
    assert "No maintenance window" in page.locator("#silences").inner_text()
    choose(page, "#silence-target", "council", "device:SN2")
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
    form = page.locator("#silence-form")
    form.wait_for()
    form.locator("input[name=reason]").fill("fire drill")
    form.locator("button[type=submit]").click()  # nothing chosen yet: the page says what to do
    page.wait_for_selector("#silence-form output.bad")
    assert "choose one of those found" in form.locator("output").inner_text()
    choose(page, "#silence-target", "TOWN", "site:town-hall")
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


def test_the_console_filters_groups_by_site_and_its_pickers_search(
    fleet: ServerProcess, browser: Any
) -> None:
    hostile = "<img src=x onerror=\"document.title='pwned'\">Gym"
    with fleet.client("admin") as admin:
        for device in (
            factories.device("SCH1", site="school-3", name=hostile, place="Gym"),
            factories.device("SCH2", site="school-3", name="Училище, фоайе"),
        ):
            admin.post("/api/v1/devices", json=device).raise_for_status()
        admin.patch("/api/v1/sites/school-3", json={"name": "Училище №3"}).raise_for_status()
    send(fleet, 1, TestResult.FAIL, "SCH1", site="school-3", codes=("C02",))  # critical
    send(fleet, 1, TestResult.WARN, "SCH2", site="school-3", codes=("B01",))  # major and minor
    page = browser.new_page(viewport={"width": 375, "height": 800})  # a phone
    page.goto(f"{fleet.url}/console#token={fleet.tokens.technician}")
    cards = page.locator("[data-alert]")

    def shown(count: int) -> list[str]:
        page.wait_for_function("n => document.querySelectorAll('[data-alert]').length === n", arg=count)
        return [cards.nth(i).get_attribute("class") or "" for i in range(count)]

    assert shown(5) == ["alert critical", "alert major", "alert major", "alert minor", "alert minor"]
    assert page.locator("#alert-counts").inner_text() == "Alerts: 5 · critical: 1 · major: 2 · minor: 2"
    assert page.locator("#more-alerts").is_hidden()  # all five are here
    filters = page.locator("#alert-filters")
    filters.locator("select[name=severity]").select_option("major")
    assert shown(2) == ["alert major", "alert major"]
    assert "severity=major" in page.url
    filters.locator("select[name=severity]").select_option("")
    filters.locator("select[name=type]").select_option("battery_low")
    assert shown(2) == ["alert major", "alert major"]
    assert all("Battery low" in text for text in cards.all_inner_texts())
    filters.locator("select[name=type]").select_option("")
    filters.locator("input[name=group]").check()
    shown(5)
    headings = page.locator("h3.site-heading")
    page.wait_for_function("() => document.querySelectorAll('h3.site-heading').length === 2")
    assert headings.evaluate_all("els => els.map((e) => e.dataset.site)") == ["school-3", "town-hall"]
    assert headings.first.inner_text() == "Училище №3 (school-3) critical: 1 · major: 1 · minor: 1"
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    screenshot(page, "console-by-site.png")

    choose(page, "#filter-site", "учил", "school-3")  # its name, in Cyrillic, folded
    assert shown(3)
    assert all("school-3" in text for text in cards.all_inner_texts())
    assert "site=school-3" in page.url
    assert "group=site" in page.url
    page.reload()  # the filters are in the address: a bookmark opens the same list
    assert shown(3)
    assert page.locator("#filter-site").input_value() == "school-3"
    assert page.locator("#alert-filters input[name=group]").is_checked()
    page.locator("#filter-site").fill("")  # emptied: every site again
    shown(5)
    assert "site=" not in page.url

    target = page.locator("#silence-target")
    target.fill("img")  # a hostile name is listed as text, never run
    page.wait_for_selector("#silence-target-choices[data-for=img] [data-value='device:SCH1']")
    assert hostile in page.locator("#silence-target-choices").inner_text()
    assert page.locator("#silence-target-choices img").count() == 0
    target.fill("фоайе")
    page.wait_for_selector("#silence-target-choices[data-for='фоайе'] [data-value='device:SCH2']")
    assert page.locator("#silence-target-choices [role=option]").count() == 1
    target.press("ArrowDown")
    target.press("Enter")  # chosen by the keyboard
    assert target.get_attribute("data-value") == "device:SCH2"
    target.fill("no such place anywhere")
    page.wait_for_selector("#silence-target-choices[data-for='no such place anywhere'] li.none")
    assert page.locator("#silence-target-choices").inner_text() == "Nothing found"
    page.locator("#silence-form input[name=reason]").click()  # left unchosen: the choice before stays
    assert (target.input_value(), target.get_attribute("data-value")) == (
        "device Училище, фоайе (school-3)",
        "device:SCH2",
    )
    switch_language(page, "bg")
    assert filters.locator("label", has_text="Сериозност").count() == 1
    assert page.title() != "pwned"
