"""The readiness board in Debian's Chromium against the real server: a failed self-test turns
a tile red within seconds, the language switch changes the words, a phone needs no sideways
scrolling."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any

import pytest

from aedmon.reading import TestResult

from .. import factories
from ..conftest import ServerProcess, TileServer
from .conftest import screenshot, send, switch_language


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
    switch_language(page, "bg")
    assert page.locator("#title").inner_text().startswith("Готовност на дефибрилаторите")
    assert "Готов" in page.locator('[data-device="SN1"]').inner_text()
    warned = page.locator('[data-device="SN2"]').inner_text()
    assert "Слаба батерия — Сменете батерията." in warned  # the reasons too, not only the frame
    assert "Battery" not in warned
    switch_language(page, "cs")
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


@pytest.mark.parametrize("map_tiles", ["served"], indirect=True)
def test_the_board_shows_its_devices_on_a_map_when_tiles_can_be_fetched(
    fleet: ServerProcess, browser: Any, map_tiles: TileServer
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1100})
    page.goto(f"{fleet.url}/board/town-hall#token={fleet.tokens.viewer}")
    page.wait_for_selector("#map path.marker-ready")
    assert page.locator("#map").is_visible()
    assert page.locator("#positions").is_hidden()
    assert page.locator("#where-title").inner_text() == "Map"
    assert page.locator("#map path.marker").count() == 1  # only SN1 has a position
    page.wait_for_function("[...document.querySelectorAll('#map img.leaflet-tile')].some((i) => i.complete)")
    assert map_tiles.fetched  # the browser drew the map from the tile server
    assert "OpenStreetMap" in page.locator(".leaflet-control-attribution").inner_text()
    screenshot(page, "board-map.png")
    page.locator("#map path.marker").hover()
    assert page.locator(".leaflet-tooltip").inner_text() == "Reception AED: Ready"
    send(fleet, 2, TestResult.FAIL, "SN1", codes=("C02",))
    page.wait_for_selector("#map path.marker-not_ready", timeout=10_000)  # the map lives too
    page.locator("#map path.marker").click()
    page.wait_for_url(f"{fleet.url}/devices/SN1")


def test_without_reachable_tiles_the_board_lists_positions_and_follows_the_newest_fix(
    fleet: ServerProcess, browser: Any
) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 740}, is_mobile=True)
    page.goto(f"{fleet.url}/board/town-hall#token={fleet.tokens.viewer}")
    page.wait_for_selector('#positions [data-position="SN1"]')
    assert page.locator("#map").is_hidden()
    assert page.locator("#where-title").inner_text() == "Positions"
    item = page.locator('#positions [data-position="SN1"]')
    assert "Reception AED · Ready" in item.inner_text()
    assert item.locator("a").get_attribute("href") == "geo:42.6062,23.0379"  # a phone's own map opens it
    now = datetime.now(UTC).replace(microsecond=0)
    fix = factories.location(42.6105, 23.0411, device="SN3", at=now, seq=None, accuracy_m=8.0)
    with fleet.client("bridge") as bridge:
        bridge.post("/api/v1/ingest", json={"readings": [fix.model_dump(mode="json")]}).raise_for_status()
    page.wait_for_selector('#positions [data-position="SN3"]')
    assert "42.61050, 23.04110" in page.locator('#positions [data-position="SN3"]').inner_text()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def school_with_a_failed_aed(fleet: ServerProcess) -> None:
    """A second site, school-3, whose one AED (SCH1, "School gym AED") failed its self-test."""
    with fleet.client("admin") as admin:
        school = {"id": "SCH1", "site": "school-3", "kind": "aed", "name": "School gym AED"}
        admin.post("/api/v1/devices", json=school).raise_for_status()
    send(fleet, 1, TestResult.FAIL, "SCH1", site="school-3", codes=("C02",))


def test_the_fleet_board_shows_sites_worst_first_and_only_what_needs_something(
    fleet: ServerProcess, browser: Any
) -> None:
    school_with_a_failed_aed(fleet)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{fleet.url}/board#token={fleet.tokens.viewer}")
    page.wait_for_selector('section.site[data-site="school-3"] [data-device="SCH1"]')
    assert page.locator("section.site").evaluate_all("els => els.map((e) => e.dataset.site)") == [
        "school-3",
        "town-hall",
    ]
    summary = page.locator("#tiles .summary").inner_text()
    assert summary == "Not ready: 1 · Unknown: 1 · Needs attention: 1 · Ready: 1"  # worst first
    town_hall = page.locator('section.site[data-site="town-hall"] > h2').inner_text()
    assert town_hall == "town-hall Unknown: 1 · Needs attention: 1 · Ready: 1"
    # The fleet shows only what needs something: the ready AED is counted, not drawn.
    assert page.locator('section.site[data-site="town-hall"] [data-device]').count() == 2
    assert page.locator('[data-device="SN1"]').count() == 0
    screenshot(page, "board-fleet.png")
    page.click('section.site[data-site="school-3"] > h2 a')  # to the site's own board
    page.wait_for_url(f"{fleet.url}/board/school-3")
    page.wait_for_selector('[data-device="SCH1"]')
    assert page.locator("section.site > h2").count() == 0
    assert page.locator('[data-device="SN1"]').count() == 0


def test_the_board_finds_sites_and_devices_by_name_and_filters_by_readiness(
    fleet: ServerProcess, browser: Any
) -> None:
    school_with_a_failed_aed(fleet)
    with fleet.client("admin") as admin:
        admin.patch("/api/v1/sites/school-3", json={"name": "Училище №3"}).raise_for_status()
    page = browser.new_page(viewport={"width": 375, "height": 800})  # a phone
    page.goto(f"{fleet.url}/board#token={fleet.tokens.viewer}")
    page.wait_for_selector('[data-device="SCH1"]')
    search = page.locator("#board-filters input[name=q]")

    def tiles_are(expected: list[str]) -> None:
        page.wait_for_function(
            "ids => JSON.stringify([...document.querySelectorAll('[data-device]')]"
            ".map((e) => e.dataset.device)) === JSON.stringify(ids)",
            arg=expected,
        )

    search.fill("reception")  # a ready AED the fleet view leaves out, found by its name
    tiles_are(["SN1"])
    assert "q=reception" in page.url
    search.fill("УЧИЛИЩЕ")  # a site by its name, in Cyrillic, any case: its counts and its devices
    page.wait_for_selector('section.site[data-site="school-3"] > h2')
    tiles_are(["SCH1"])
    assert page.locator("section.site > h2").all_inner_texts() == ["Училище №3 (school-3) Not ready: 1"]
    screenshot(page, "board-search.png")
    search.fill("")
    page.locator("#board-filters select[name=readiness]").select_option("attention")
    tiles_are(["SN2"])
    assert page.locator("section.site").evaluate_all("els => els.map((e) => e.dataset.site)") == ["town-hall"]
    search.fill("no such thing anywhere")
    page.wait_for_function("() => document.querySelector('#tiles .summary').textContent === 'Nothing found'")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.goto(f"{fleet.url}/board/town-hall?readiness=unknown")  # a site's own board, filtered
    tiles_are(["SN3"])
    assert page.locator("#board-filters select[name=readiness]").input_value() == "unknown"


@pytest.mark.parametrize("map_tiles", ["served"], indirect=True)
def test_a_device_name_is_shown_as_text_never_run_as_html(fleet: ServerProcess, browser: Any) -> None:
    hostile = "<img src=x onerror=\"document.title='pwned'\">Lobby"
    with fleet.client("admin") as admin:
        admin.patch("/api/v1/devices/SN1", json={"name": hostile}).raise_for_status()
    page = browser.new_page()
    page.goto(f"{fleet.url}/board/town-hall#token={fleet.tokens.viewer}")
    page.wait_for_selector("#map path.marker")
    page.locator("#map path.marker").hover()
    assert page.locator(".leaflet-tooltip").inner_text().startswith(hostile)
    assert hostile in page.locator('[data-device="SN1"]').inner_text()
    assert page.locator("#tiles img, #positions img, .leaflet-tooltip img").count() == 0
    assert page.title() != "pwned"
