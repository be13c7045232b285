"""The admin's lists on a phone, in Chromium: cards below a width, each cell under its heading,
no word broken inside and nothing wider than the screen; a bridge shown as a bridge with its
health, never as an unnamed device to confirm."""

from __future__ import annotations

from typing import Any

from aedmon.reading import DeviceKind

from .. import factories
from ..conftest import ServerProcess
from .conftest import BROKEN_WORDS, screenshot, switch_language


def test_the_device_list_is_cards_on_a_phone_and_a_bridge_is_a_bridge(
    fleet: ServerProcess, browser: Any
) -> None:
    beat = factories.heartbeat(device="bridge-town-hall", kind=DeviceKind.BRIDGE, site="town-hall")
    with fleet.client("bridge") as bridge:
        bridge.post("/api/v1/ingest", json={"readings": [factories.as_json(beat)]}).raise_for_status()
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(f"{fleet.url}/admin#token={fleet.tokens.admin}")
    switch_language(page, "bg")
    page.wait_for_selector('#device-table tr[data-device="bridge-town-hall"]')
    page.wait_for_selector('#device-table tr[data-device="SN1"]')
    assert page.locator("#device-table thead").is_hidden()  # cards: the headings go into each cell
    card = page.locator('#device-table tr[data-device="SN1"]')
    labels = card.locator("td[data-label]").evaluate_all("cells => cells.map((c) => c.dataset.label)")
    assert labels[0] == "Идентификатор (сериен номер)"  # each cell under its heading, in Bulgarian
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert page.evaluate(BROKEN_WORDS) == []
    bridge = page.locator('#device-table tr[data-device="bridge-town-hall"]')
    said = bridge.inner_text()
    assert "Мост" in said
    assert "Чут" in said
    assert "Непотвърдено" not in said
    assert bridge.get_by_role("button", name="Потвърждаване").count() == 0  # nothing to confirm
    screenshot(page, "admin-phone-bg.png")
    desktop = browser.new_page(viewport={"width": 1280, "height": 900})
    desktop.goto(f"{fleet.url}/admin#token={fleet.tokens.admin}")
    switch_language(desktop, "uk")
    desktop.wait_for_selector('#device-table tr[data-device="SN1"]')
    assert desktop.locator("#device-table thead").is_visible()
    assert (
        desktop.evaluate(BROKEN_WORDS.replace('querySelector("main")', 'querySelector("#device-table")'))
        == []
    )
