"""Every page a person reads, as Chromium shows it at a phone's width and a desktop's, in each
of the four languages: not one English sentence of the catalogues and no raw value of the
machine (`PASS`, `selftest`, `_READY`…) on a translated page, nothing wider than a 390 px
screen and no word broken inside on it, and the record's times in the site's zone as the API's
instant says. With AEDMON_SCREENSHOTS set, each is kept in docs/screenshots/ (how the README's
pictures are made)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from aedmon.clock import utc_now
from aedmon.reading import DeviceKind, TestResult

from .. import factories
from ..conftest import ServerProcess, Tokens
from ..fixtures.server import start_server
from ..unit.catalogues import english_sentences
from .conftest import BROKEN_WORDS, CUT_CHARTS, DOCS

SOFIA = ZoneInfo("Europe/Sofia")
CHECKLIST = "Носилката е закрепена,Кутията с лекарства е запечатана"
# What the machine says and a person never should read on a translated page.
RAW = re.compile(r"\b(PASS|FAIL|WARN|IN_USE|NOT_READY|SERVICE|selftest|shift_check|undefined|NaN|null|"
                 r"reason\.\w+|level\.\w+)\b|_READY")  # fmt: skip
# The record's own words, plain English on an English page but raw anywhere else.
RECORD_WORDS = re.compile(r"\b(inspection|not ok|ok)\b|\b(test|seq)=")
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A municipality in Sofia's time zone: a public AED in the town hall, checked this month;
    a school's AED whose self-test failed; a mobile unit back from its round, with a shift
    check and a community it serves."""
    tmp = tmp_path_factory.mktemp("town")
    env = {"AEDMON_SHIFT_CHECKLIST": CHECKLIST, "AEDMON_TIME_ZONE": "Europe/Sofia"}
    server = start_server(tmp, Tokens(), f"sqlite:///{tmp}/town.db", env)
    now = utc_now().replace(microsecond=0)
    devices = [
        factories.device("PUB1", site="pernik-hall", area="pernik", name="Кметство – фоайе", place="Фоайе",
                         lat=42.6062, lon=23.0379, public=True),
        factories.device("SCH1", site="pernik-school", area="pernik", name="Училище – учителска",
                         place="Първи етаж"),
        factories.device("MU-01", site="pernik-unit", area="pernik", kind=DeviceKind.MOBILE_UNIT,
                         name="Мобилна единица 1"),
    ]  # fmt: skip
    with server.client("admin") as admin:
        for device in devices:
            admin.post("/api/v1/devices", json=device).raise_for_status()
        for site in ("pernik-hall", "pernik-school", "pernik-unit"):
            admin.patch(f"/api/v1/sites/{site}", json={"time_zone": "Europe/Sofia"}).raise_for_status()
        village = {"name": "Рударци", "lat": 42.62, "lon": 23.06, "radius_m": 600}
        admin.post("/api/v1/devices/MU-01/communities", json=village).raise_for_status()
    pads = date(now.year + 1, 1, 15)
    readings = [
        factories.selftest(TestResult.PASS, device="PUB1", site="pernik-hall", seq=1,
                           at=now - timedelta(hours=3), pads_expiry=pads,
                           battery_expiry=date(now.year + 2, 5, 1)),
        factories.selftest(TestResult.FAIL, device="SCH1", site="pernik-school", seq=1, codes=("C02",),
                           at=now - timedelta(hours=2), pads_expiry=pads),
        factories.selftest(TestResult.PASS, device="MU-01", site="pernik-unit", seq=1,
                           at=now - timedelta(hours=4), pads_expiry=pads),
    ]  # fmt: skip
    for n, minutes in enumerate((240, 180, 120, 60, 30)):
        at = now - timedelta(minutes=minutes)
        readings.append(factories.status(device="MU-01", site="pernik-unit", seq=10 + 2 * n, at=at,
                                         fridge_temp_c=4.5 + n / 10, o2_pressure_bar=160 - n))  # fmt: skip
        readings.append(factories.location(42.60 + n * 0.01, 23.04, device="MU-01", site="pernik-unit",
                                           seq=11 + 2 * n, at=at))  # fmt: skip
    with server.client("bridge") as bridge:
        bridge.post(
            "/api/v1/ingest", json={"readings": [factories.as_json(r) for r in readings]}
        ).raise_for_status()
    checks = {"status_light_ok": True, "pads_sealed_in_date": True, "cabinet_intact": True, "alarm_ok": True}
    with server.client("staff") as staff:
        staff.post(
            "/api/v1/devices/PUB1/inspections", json={"inspector": "Елена Димитрова", **checks}
        ).raise_for_status()
        shift = {"inspector": "Петя Иванова", "answers": dict.fromkeys(CHECKLIST.split(","), True)}
        staff.post("/api/v1/devices/MU-01/shift-checks", json=shift).raise_for_status()
    yield server
    server.process.stop()


def pages(town: ServerProcess) -> dict[str, tuple[str, str, str]]:
    """Each page: its path, whose key opens it, and what it shows once drawn."""
    key = town.get("/api/v1/devices/PUB1")["public_key"]  # type: ignore[index]
    today = utc_now().astimezone(SOFIA).date()
    period = f"from={today.replace(day=1)}&to={today}"
    return {
        "board": ("/board/pernik-hall", "viewer", '[data-device="PUB1"] .state'),
        "device-check": ("/devices/PUB1", "staff", "#inspection-form:not([hidden])"),
        "shift-check": ("/devices/MU-01", "staff", "#shift-seen li"),
        "qr-page": (f"/d/PUB1?k={key}", "", "article.tile"),
        "console": ("/console", "technician", "[data-alert]"),
        "admin": ("/admin", "admin", '#device-table tr[data-device="PUB1"]'),
        "compliance": (f"/reports/compliance?{period}&site=pernik-hall", "viewer", "#summary tbody tr"),
        "consumables": ("/reports/consumables", "viewer", "#rows tbody tr"),
        "programme": (f"/reports/programme?{period}&area=pernik", "viewer", "#units tbody tr"),
        "status": ("/status/pernik", "", "#public-aeds li"),
    }


def shown(page: Any, name: str, language: str, size: str, url: str, ready: str) -> str:
    page.goto(url)
    page.wait_for_selector(ready)
    page.wait_for_function("code => document.documentElement.lang === code", arg=language)
    page.wait_for_timeout(400)  # every answer of the first poll drawn
    if os.environ.get("AEDMON_SCREENSHOTS"):
        folder = DOCS / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(folder / f"{name}-{language}-{size}.jpg"), full_page=True, type="jpeg", quality=60
        )
    return str(page.locator("body").inner_text())


@pytest.mark.parametrize("language", ["bg", "uk", "cs", "en"])
def test_every_page_in_each_language_at_a_phones_width_and_a_desktops(
    town: ServerProcess, browser: Any, language: str
) -> None:
    english = english_sentences()
    for size, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport, locale=language, is_mobile=size == "phone")
        context.add_init_script(f"localStorage.setItem('aedmon-lang', '{language}')")
        page = context.new_page()
        for name, (path, role, ready) in pages(town).items():
            token = f"#token={getattr(town.tokens, role)}" if role else ""
            joiner = "&" if "?" in path else "?"
            said = shown(page, name, language, size, f"{town.url}{path}{joiner}lang={language}{token}", ready)
            where = f"{name} in {language} on a {size}"
            found = [*RAW.finditer(said), *(RECORD_WORDS.finditer(said) if language != "en" else ())]
            raw = sorted({said[max(0, m.start() - 30) : m.end() + 30] for m in found})  # each in its context
            assert raw == [], f"{where} shows the machine's words: {raw}"
            left = sorted(sentence for sentence in english if sentence in said)
            if language == "en":
                assert left, f"{where}: the control finds none of the English catalogue"
            else:
                assert left == [], f"{where} still says in English: {left}"
            assert page.evaluate(CUT_CHARTS) == [], f"{where} cuts a chart's labels"
            if size == "phone":
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{where} is {overflow} px wider than the screen"
                assert page.evaluate(BROKEN_WORDS) == [], f"{where} breaks words inside"
        context.close()


def test_the_records_times_are_the_apis_instants_in_the_sites_zone(town: ServerProcess, browser: Any) -> None:
    today = utc_now().astimezone(SOFIA).date()
    asked = {"from": str(today.replace(day=1)), "to": str(today), "site": "pernik-hall"}
    record = httpx.get(f"{town.url}/api/v1/reports/compliance", params=asked,
                       headers={"Authorization": f"Bearer {town.tokens.viewer}"}).json()  # fmt: skip
    page = browser.new_page(locale="bg")
    page.goto(f"{town.url}/reports/compliance?from={asked['from']}&to={asked['to']}&site=pernik-hall"
              f"#token={town.tokens.viewer}")  # fmt: skip
    page.wait_for_selector("#rows tbody tr")
    assert "Europe/Sofia" in page.locator("#rows thead").inner_text()  # the zone named
    cells = page.locator("#rows tbody tr td:nth-child(2)").all_inner_texts()
    assert len(cells) == len(record) >= 2
    for cell, row in zip(cells, record, strict=True):
        instant = datetime.fromisoformat(row["entry"]["time"])
        local = instant.astimezone(SOFIA)
        assert f"{local.hour}:{local.minute:02d}" in cell, (cell, instant)
        assert f" {instant.hour}:{instant.minute:02d}" not in f" {cell}"  # never the UTC clock
