"""Every page, in Chromium, with people and keys of two areas: a person of one area opens the
other area's board, device page, report, stickers, console and admin page by their links,
and none shows a thing of the other area (its API answers 404 or leaves it out)."""

from __future__ import annotations

from typing import Any

from aedmon.reading import TestResult

from ..conftest import ServerProcess
from .conftest import accept_and_sign_in, send

PASSWORD = "a caretaker's long password"


def test_no_page_shows_another_areas_things(fleet: ServerProcess, browser: Any) -> None:
    with fleet.client("admin") as admin:
        theirs = {"id": "SOF1", "site": "sofia-school", "kind": "aed", "area": "sofia"}
        theirs["name"] = "Sofia gym AED"
        admin.post("/api/v1/devices", json=theirs).raise_for_status()
        admin.patch("/api/v1/devices/SN1", json={"area": "pernik"}).raise_for_status()  # town-hall in it
        people = {}
        for email, role in (("tech@pernik.bg", "technician"), ("boss@pernik.bg", "admin")):
            body = {"email": email, "name": email.split("@")[0], "role": role, "areas": ["pernik"]}
            made = admin.post("/api/v1/users", json=body)
            made.raise_for_status()
            people[email] = made.json()["invite_url"]
    send(fleet, 1, TestResult.FAIL, "SOF1", site="sofia-school", codes=("C02",))
    send(fleet, 2, TestResult.FAIL, "SN1", codes=("C02",))

    tech = accept_and_sign_in(browser, people["tech@pernik.bg"], "tech@pernik.bg", PASSWORD)
    pages = {
        "fleet board": ("/board", '[data-device="SN1"]'),
        "their board": ("/board/sofia-school", "#tiles .summary"),
        "their device": ("/devices/SOF1", "#notice:not([hidden])"),
        "console": ("/console", "[data-alert]"),
        "their report": ("/reports/compliance?site=sofia-school", "#rows"),
        "their stickers": ("/stickers?site=sofia-school", "#sheet[data-count]"),
        "picked stickers": ("/stickers?ids=SOF1,SN1", "#sheet[data-count]"),
    }
    for name, (path, ready) in pages.items():
        tech.goto(f"{fleet.url}{path}")
        tech.wait_for_selector(ready, state="attached")
        tech.wait_for_timeout(500)  # the first answers drawn
        shown = tech.locator("body").inner_text()
        # What the link itself names may be said back (as for a thing that does not exist);
        # nothing else of the other area may show.
        for word in ("SOF1", "sofia-school"):
            assert word not in shown or word in path, (name, word)
        assert "Sofia gym AED" not in shown, name
    assert tech.locator("#sheet").get_attribute("data-count") == "1"  # SN1's sticker alone

    boss = accept_and_sign_in(browser, people["boss@pernik.bg"], "boss@pernik.bg", PASSWORD)
    boss.goto(f"{fleet.url}/admin")
    boss.wait_for_selector('#device-table tr[data-device="SN1"]')
    boss.wait_for_timeout(500)
    shown = boss.locator("body").inner_text()
    assert "SOF1" not in shown
    assert "tech@pernik.bg" in shown  # the people of its own area
    assert boss.locator("#keys li").count() == 0  # the installation's keys are not its to see
