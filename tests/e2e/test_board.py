"""The readiness board in Debian's Chromium against the real server: a failed self-test turns
a tile red within seconds, the language switch changes the words, a phone needs no sideways
scrolling. With AEDMON_SCREENSHOTS=1 the pages are kept under docs/ for the README."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from aedmon.reading import Reading, ReadingType, TestResult, TestType

from ..conftest import ServerProcess

DOCS = Path(__file__).resolve().parents[2] / "docs"


def send(server: ServerProcess, seq: int, result: TestResult, device: str = "SN1", **more: Any) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    reading = Reading(
        device_id=device, site="town-hall", type=ReadingType.SELFTEST, device_time=now, arrival_time=now,
        seq=seq, test=TestType.DAILY, result=result, battery_pct=88, battery_expiry=date(2029, 5, 31),
        pads_expiry=more.pop("pads_expiry", date(2027, 3, 31)), pads_connected=True, temp_c=21.0, **more,
    )  # fmt: skip
    with server.client("bridge") as client:
        client.post("/api/v1/ingest", json={"readings": [reading.model_dump(mode="json")]}).raise_for_status()


@pytest.fixture
def fleet(server: ServerProcess) -> ServerProcess:
    devices = [
        {
            "id": "SN1",
            "site": "town-hall",
            "kind": "aed",
            "name": "Reception AED",
            "place": "Ground floor, reception",
            "lat": 42.6062,
            "lon": 23.0379,
        },
        {
            "id": "SN2",
            "site": "town-hall",
            "kind": "aed",
            "name": "Council chamber AED",
            "place": "First floor",
        },
        {"id": "SN3", "site": "town-hall", "kind": "aed", "name": "Sports hall AED", "place": "Basement"},
    ]
    with server.client("admin") as admin:
        for device in devices:
            admin.post("/api/v1/devices", json=device).raise_for_status()
    send(server, 1, TestResult.PASS, "SN1")
    send(server, 1, TestResult.WARN, "SN2", codes=("B01",))
    return server


def screenshot(page: Any, name: str) -> None:
    if os.environ.get("AEDMON_SCREENSHOTS"):
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / name), full_page=True)


def test_a_failed_selftest_turns_the_tile_red_within_seconds(fleet: ServerProcess, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{fleet.url}/board/town-hall#token={fleet.tokens.viewer}")
    tile = page.locator('[data-device="SN1"]')
    tile.wait_for()
    assert tile.get_attribute("data-readiness") == "ready"
    assert "Ready" in tile.inner_text()
    assert page.locator('[data-device="SN2"]').get_attribute("data-readiness") == "attention"
    assert page.locator('[data-device="SN3"]').get_attribute("data-readiness") == "unknown"
    screenshot(page, "board.png")
    started = time.monotonic()
    send(fleet, 2, TestResult.FAIL, "SN1", codes=("P02",), pads_expiry=date(2026, 11, 1))
    page.wait_for_selector('[data-device="SN1"][data-readiness="not_ready"]', timeout=10_000)
    assert time.monotonic() - started < 10
    red = page.locator('[data-device="SN1"]')
    assert "Not ready" in red.inner_text()
    assert "Pads expired — Replace the pads now." in red.inner_text()  # in plain words, what to do
    detail = red.locator('[data-reason="self_test_failed"]').get_attribute("title")
    assert detail is not None
    assert "pads expired (P02)" in detail  # the rule's own detail stays at hand
    color = red.evaluate("el => getComputedStyle(el).backgroundColor")
    assert color == "rgb(179, 38, 30)"


def test_the_language_switch_changes_the_words(fleet: ServerProcess, browser: Any) -> None:
    page = browser.new_page(locale="en-GB")
    page.goto(f"{fleet.url}/board/town-hall#token={fleet.tokens.viewer}")
    page.locator('[data-device="SN1"]').wait_for()
    assert page.locator("#title").inner_text().startswith("AED readiness")
    assert "Battery low — Replace the battery." in page.locator('[data-device="SN2"]').inner_text()
    page.select_option("#lang", "bg")
    assert page.locator("#title").inner_text().startswith("Готовност на дефибрилаторите")
    assert "Готов" in page.locator('[data-device="SN1"]').inner_text()
    warned = page.locator('[data-device="SN2"]').inner_text()
    assert "Слаба батерия — Сменете батерията." in warned  # the reasons too, not only the frame
    assert "Battery" not in warned
    page.select_option("#lang", "cs")
    assert "Připraven" in page.locator('[data-device="SN1"]').inner_text()
    page.reload()  # the choice is remembered
    page.locator('[data-device="SN1"]').wait_for()
    assert page.locator("#title").inner_text().startswith("Připravenost AED")


def test_the_browser_language_picks_the_board_language(fleet: ServerProcess, browser: Any) -> None:
    page = browser.new_page(locale="uk-UA", extra_http_headers={"Accept-Language": "uk-UA,uk;q=0.9"})
    page.goto(f"{fleet.url}/board/town-hall#token={fleet.tokens.viewer}")
    page.locator('[data-device="SN1"]').wait_for()
    assert page.locator("#title").inner_text().startswith("Готовність дефібриляторів")


def test_a_phone_sized_screen_needs_no_sideways_scrolling(fleet: ServerProcess, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 740}, is_mobile=True, device_scale_factor=2)
    page.goto(f"{fleet.url}/board#token={fleet.tokens.viewer}")
    page.locator('[data-device="SN2"]').wait_for()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(page, "board-phone.png")


def test_without_a_viewing_key_the_board_says_how_to_open_it(server: ServerProcess, browser: Any) -> None:
    page = browser.new_page()
    page.goto(f"{server.url}/board")
    page.wait_for_selector("#notice:not([hidden])")
    assert "link you were given" in page.locator("#notice").inner_text()


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
    screenshot(page, "console.png")
    critical = page.locator('[data-alert]:has-text("Self-test failed")')
    critical.locator("input[name=note]").fill("on my way with a spare AED")
    critical.locator("button").click()
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
    page.select_option("#lang", "cs")
    assert "Autotest selhal" in page.locator("[data-alert]").first.inner_text()
    page.locator('[data-alert]:has-text("Autotest selhal") button').click()
    page.wait_for_timeout(1000)
    assert fleet.get("/api/v1/alerts", state="acknowledged") == []


def test_the_qr_page_shows_readiness_and_takes_a_problem_report(fleet: ServerProcess, browser: Any) -> None:
    key = fleet.get("/api/v1/devices/SN1")["public_key"]  # type: ignore[index]
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(f"{fleet.url}/d/SN1?k={key}")
    assert page.locator('[data-device="SN1"]').get_attribute("data-readiness") == "ready"
    assert page.locator(".qr svg path").count() == 1  # the code printed on the cabinet's sticker
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.fill("#text", "The status light is red and the door is cracked")
    page.fill("#contact", "+359 888 000 111")
    page.click("button[type=submit]")
    page.wait_for_selector("#sent.done")
    screenshot(page, "device-public.png")
    alert = fleet.get("/api/v1/alerts", state="open", device_id="SN1")[0]  # type: ignore[index]
    assert alert["type"] == "reported_problem"
    assert "status light is red" in alert["message"]
    assert "+359 888 000 111" in alert["message"]
    page.fill("#text", "Second report straight away")
    page.click("button[type=submit]")
    page.wait_for_selector("#sent.wait")  # one report a minute
    assert "Second report" not in fleet.get("/api/v1/alerts", state="open", device_id="SN1")[0]["message"]  # type: ignore[index]


def test_the_qr_page_needs_its_key(fleet: ServerProcess) -> None:
    import httpx

    assert httpx.get(f"{fleet.url}/d/SN1?k=guess").status_code == 404
    assert httpx.get(f"{fleet.url}/d/NOPE?k=guess").status_code == 404
    forged = httpx.post(f"{fleet.url}/d/SN1/report", data={"k": "guess", "text": "spam spam"})
    assert forged.status_code == 404
    assert fleet.get("/api/v1/alerts", state="open", device_id="SN1") == []


def test_a_device_page_charts_its_history_and_lists_alerts_and_inspections(
    fleet: ServerProcess, browser: Any
) -> None:
    for seq in (2, 3, 4):
        send(fleet, seq, TestResult.PASS, "SN1")
        time.sleep(1.05)  # each in a new second: the protocol's time resolution
    send(fleet, 9, TestResult.FAIL, "SN1", codes=("C02",))
    with fleet.client("technician") as tech:
        tech.post(
            "/api/v1/devices/SN1/inspections",
            json={"inspector": "Maria", "status_light_ok": True, "pads_sealed_in_date": True,
                  "cabinet_intact": True, "notes": "all fine"},
        ).raise_for_status()  # fmt: skip
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(f"{fleet.url}/board/town-hall#token={fleet.tokens.viewer}")
    page.locator('[data-device="SN1"] h2 a').click()  # from the board's tile to the device page
    page.wait_for_url(f"{fleet.url}/devices/SN1")
    page.wait_for_selector(".chart")
    points = page.locator(".chart").first.get_attribute("data-points")
    assert points is not None
    assert int(points) == 5  # every self-test: the board fixture's one and these four
    assert page.locator(".chart polyline").count() == 3
    assert "Self-test failed" in page.locator("#alerts").inner_text()
    assert "Maria" in page.locator("#inspections").inner_text()
    assert page.locator(".tile").get_attribute("data-readiness") == "not_ready"
    screenshot(page, "device.png")


def test_printable_reports_show_the_checked_chain_and_the_forecast(
    fleet: ServerProcess, browser: Any
) -> None:
    today = datetime.now(UTC).date().isoformat()
    with fleet.client("technician") as tech:
        tech.post(
            "/api/v1/devices/SN1/inspections",
            json={
                "inspector": "Ivan",
                "status_light_ok": True,
                "pads_sealed_in_date": True,
                "cabinet_intact": False,
            },
        ).raise_for_status()
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(
        f"{fleet.url}/reports/compliance?from={today}&to={today}&site=town-hall#token={fleet.tokens.viewer}"
    )
    page.wait_for_selector("#chain.chain-ok")
    assert page.locator("#rows tbody tr").count() == 3  # SN1's and SN2's self-tests and the inspection
    assert "not ok: cabinet intact" in page.locator("#rows").inner_text()
    pdf = page.pdf(format="A4")  # printable: Chromium lays it out for paper
    assert pdf.startswith(b"%PDF")
    screenshot(page, "report-compliance.png")
    page.goto(f"{fleet.url}/reports/consumables?site=town-hall#token={fleet.tokens.viewer}")
    page.wait_for_selector("#rows tbody tr")
    assert page.locator("#rows tbody tr").count() == 12
    assert "SN1 SN2" in page.locator("#rows").inner_text()  # both pads expire in March 2027
