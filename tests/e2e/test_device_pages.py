"""A device's own pages in Debian's Chromium: its history, the public page behind the QR code
with its problem report, and the printable reports."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from aedmon.reading import TestResult
from server import store
from server.store.database import make_engine, session_factory
from server.store.retention import Retention, horizons

from ..conftest import ServerProcess
from .conftest import screenshot, send, switch_language


def test_the_qr_page_shows_readiness_and_takes_a_problem_report(fleet: ServerProcess, browser: Any) -> None:
    key = fleet.get("/api/v1/devices/SN1")["public_key"]  # type: ignore[index]
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(f"{fleet.url}/d/SN1?k={key}")
    assert page.locator('[data-device="SN1"]').get_attribute("data-readiness") == "ready"
    assert page.locator(".qr svg path").count() == 1  # the code printed on the cabinet's sticker
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.emulate_media(media="print")  # the sticker: name, place, 112 and the code, never the state
    assert page.locator(".qr svg").is_visible()
    assert page.locator(".qr figcaption").is_visible()
    assert page.locator(".place").inner_text() == "Ground floor, reception, town-hall"
    assert page.locator("[data-readiness]").is_hidden()
    assert page.locator("form").is_hidden()
    assert page.pdf(format="A6").startswith(b"%PDF")
    screenshot(page, "sticker.png")
    page.emulate_media(media="screen")
    assert page.locator(".place").is_hidden()
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
    page.locator('[data-device="SN1"] h3 a').click()  # from the board's tile to the device page
    page.wait_for_url(f"{fleet.url}/devices/SN1")
    page.wait_for_selector(".chart")
    points = page.locator(".chart").first.get_attribute("data-points")
    assert points is not None
    assert int(points) == 5  # every self-test: the board fixture's one and these four
    assert page.locator(".chart .uplot canvas").count() == 3  # axes and dates drawn by uPlot
    steps = {
        box.get_attribute("data-key"): box.get_attribute("data-steps") for box in page.locator(".chart").all()
    }
    assert steps == {"result_level": "true", "battery_pct": "true", "temp_c": "false"}
    # a few seconds of readings still span an hour around them, so the ticks say different times
    shown = page.evaluate("() => charts.map((c) => [c.scales.x.min, c.scales.x.max, c.data[0][0]])")
    for low, high, first in shown:
        assert high - low >= 3600
        assert low <= first <= high
    # On hover the legend says the value under the cursor: the newest self-test, a FAIL.
    over = page.locator('.chart[data-key="result_level"] .u-over')
    box = over.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] - 1, box["y"] + box["height"] / 2)
    legend = page.locator('.chart[data-key="result_level"] .u-legend .u-value')
    values = "document.querySelectorAll('.chart[data-key=result_level] .u-legend .u-value')"
    page.wait_for_function(f"() => {values}[1].textContent === 'Failed'")  # in words, never FAIL
    assert str(datetime.now(UTC).year) in legend.first.inner_text()
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
    said = page.locator("#rows").inner_text()
    assert "Not in order" in said
    assert "✗ cabinet intact" in said
    assert "Passed" in said
    for raw in ("PASS", "selftest", "not ok", "test=", "seq="):  # the record's own values, hashed
        assert raw not in said
    assert "Time (UTC)" in page.locator("#rows thead").inner_text()  # each moment's zone named
    summary = page.locator("#summary tbody").inner_text()  # each device's period on top
    assert "SN1" in summary
    assert "Ivan · Not in order" in summary
    pdf = page.pdf(format="A4")  # printable: Chromium lays it out for paper
    assert pdf.startswith(b"%PDF")
    screenshot(page, "report-compliance.png")
    page.goto(f"{fleet.url}/reports/consumables?site=town-hall#token={fleet.tokens.viewer}")
    page.wait_for_selector("#rows tbody tr")
    # only the months something is due in (no wall of zeros), and what to order in all
    assert page.locator("#rows tbody tr").count() == 1
    assert "SN1 SN2" in page.locator("#rows").inner_text()  # both pads expire in March 2027
    assert "Pads to replace" in page.locator("#rows thead").inner_text()
    assert page.locator("#chain").inner_text().startswith("In all: Pads to replace 2")
    assert "12 months ahead" in page.locator("#scope").inner_text()
    screenshot(page, "report-consumables.png")


def test_a_report_page_chooses_its_site_and_period_and_defaults_to_this_month(
    fleet: ServerProcess, browser: Any
) -> None:
    with fleet.client("admin") as admin:
        school = {"id": "SCH1", "site": "school-3", "kind": "aed"}
        admin.post("/api/v1/devices", json=school).raise_for_status()
    send(fleet, 1, TestResult.PASS, "SCH1", site="school-3")
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(f"{fleet.url}/reports/compliance#token={fleet.tokens.viewer}")  # no period given
    page.wait_for_selector("#chain.chain-ok")
    today = datetime.now(UTC).date()
    assert page.locator("input[name=from]").input_value() == today.replace(day=1).isoformat()
    assert page.locator("input[name=to]").input_value() == today.isoformat()
    assert page.locator("#rows tbody tr").count() == 3  # every site: SN1, SN2, SCH1
    page.fill("#scope-site", "SCHOOL")  # a picker that searches: the fleet is never listed
    page.click("#scope-site-choices[data-for=SCHOOL] [data-value=school-3]")
    page.click("#scope-form button[type=submit]")
    page.wait_for_url("**site=school-3**")
    page.wait_for_selector("#chain.chain-ok")
    assert page.locator("#rows tbody tr").count() == 1
    assert "SCH1" in page.locator("#rows").inner_text()
    assert "school-3" in page.locator("#scope").inner_text()
    assert page.locator("#scope-site").input_value() == "school-3"  # the choice stays in the form
    switch_language(page, "uk")
    assert "Результат" in page.locator("#rows thead").inner_text()


def test_a_compliance_record_reaching_before_what_is_kept_says_so_in_the_readers_language(
    fleet: ServerProcess, browser: Any
) -> None:
    engine = make_engine(fleet.database)  # an hourly prune with a compliance period of one year
    with session_factory(engine)() as session:
        store.retention.prune(session, datetime.now(UTC), Retention(readings_days=30, compliance_years=1))
    engine.dispose()
    begins = horizons(datetime.now(UTC), Retention(30, 1))["compliance"].date()
    page = browser.new_page()
    page.goto(f"{fleet.url}/reports/compliance?from=2020-01-01&to={begins}#token={fleet.tokens.viewer}")
    page.wait_for_selector("#chain.chain-bad")
    said = page.locator("#chain").inner_text()
    assert said == f"Not kept any more: the compliance period's record now begins on {begins}"
    assert page.locator("#rows tbody tr").count() == 0  # nothing printed short
    switch_language(page, "bg")
    assert page.locator("#chain").inner_text().startswith("Вече не се пази")
    page.goto(f"{fleet.url}/reports/compliance?from={begins}&to={begins}")  # from the day it begins: kept
    page.wait_for_selector("#chain.chain-ok")


def test_building_staff_record_the_monthly_inspection_from_the_device_page(
    fleet: ServerProcess, browser: Any
) -> None:
    viewer = browser.new_page()
    viewer.goto(f"{fleet.url}/devices/SN1#token={fleet.tokens.viewer}")
    viewer.wait_for_selector(".tile")
    assert viewer.locator("#inspection-form").is_hidden()  # a viewing key records nothing

    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)  # on the walk-round
    page.goto(f"{fleet.url}/devices/SN1#token={fleet.tokens.staff}")
    form = page.locator("#inspection-form")
    form.wait_for()
    form.locator("input[name=inspector]").fill("Elena Dimitrova")
    form.locator("input[name=status_light_ok]").check()
    form.locator("input[name=pads_sealed_in_date]").check()
    form.locator("textarea[name=notes]").fill("cabinet glass cracked")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#inspections li.not-ok")
    listed = page.locator("#inspections").inner_text()
    assert "Elena Dimitrova (staff)" in listed
    ticked = "✓ Status light shows ready, ✓ Pads sealed and in date, ✗ Cabinet intact, ✗ The alarm sounds"
    assert ticked in listed
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    [inspection] = fleet.get("/api/v1/devices/SN1/inspections")  # type: ignore[misc]
    assert (inspection["recorded_by"], inspection["cabinet_intact"], inspection["status_light_ok"]) == (
        "staff",
        False,
        True,
    )
    screenshot(page, "device-inspection.png")

    page.reload()  # the inspector's name is remembered for the next cabinet
    form.wait_for()
    assert form.locator("input[name=inspector]").input_value() == "Elena Dimitrova"
    page.click("#record-link")  # this device's compliance record for the year
    page.wait_for_selector("#chain.chain-ok")
    assert "✗ cabinet intact" in page.locator("#rows").inner_text()


def test_the_caretaker_makes_the_monthly_check_in_three_taps_on_a_phone_in_her_language(
    fleet: ServerProcess, browser: Any
) -> None:
    key = fleet.get("/api/v1/devices/SN1")["public_key"]  # type: ignore[index]
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(f"{fleet.url}/d/SN1?k={key}&lang=bg")  # the sticker's page: it records nothing itself
    staff = page.locator("#for-staff")
    assert staff.inner_text() == "За персонала: месечната проверка"
    assert staff.get_attribute("href") == "/devices/SN1"  # the staff page, which asks who they are
    # (1) the inspection link opens the device page, signed in by its key
    page.goto(f"{fleet.url}/devices/SN1#token={fleet.tokens.staff}")
    switch_language(page, "bg")
    form = page.locator("#inspection-form")
    form.wait_for()
    tile = page.locator(".tile")
    assert tile.locator('[data-fact="where"] dd').inner_text() == "Ground floor, reception, town-hall"
    assert tile.locator('[data-fact="pads"] dd').inner_text().endswith("2027 г.")  # a date, in Bulgarian
    assert tile.locator('[data-fact="battery"]').count() == 1
    box, charts = form.bounding_box(), page.locator("#charts").bounding_box()
    assert box is not None
    assert charts is not None
    assert box["y"] + 120 < 844  # the check starts on the first screen of a phone
    assert box["y"] < charts["y"]  # and comes before the charts
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shown = page.locator("main").inner_text()
    for raw in ("PASS", "FAIL", "WARN", "_READY", "IN_USE", "selftest", "Inspections", "History"):
        assert raw not in shown, raw
    form.locator("input[name=inspector]").fill("Елена Димитрова")  # the first time only
    page.click("#all-in-order")  # (2) everything is in order: recorded
    page.wait_for_function("() => document.querySelector('#inspection-form output').classList.contains('ok')")
    [inspection] = fleet.get("/api/v1/devices/SN1/inspections")  # type: ignore[misc]
    checks = ("status_light_ok", "pads_sealed_in_date", "cabinet_intact", "alarm_ok")
    assert [inspection[check] for check in checks] == [True] * 4
    assert inspection["inspector"] == "Елена Димитрова"
    page.wait_for_selector("#inspections li.ok")
    assert "Алармата звучи" in page.locator("#inspections").inner_text()
    screenshot(page, "device-check-bg.png")
