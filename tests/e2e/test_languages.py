"""Every page in Bulgarian, Ukrainian and Czech, as Chromium shows it: not one English sentence
of the catalogues is left on it, and dates are said in the language."""

from __future__ import annotations

from typing import Any

import pytest

from aedmon.reading import TestResult

from ..conftest import ServerProcess
from ..unit.catalogues import english_sentences
from .conftest import send


@pytest.mark.parametrize("language", ["en", "bg", "uk", "cs"])
def test_no_page_in_another_language_holds_an_english_sentence(
    fleet: ServerProcess, browser: Any, language: str
) -> None:
    send(fleet, 2, TestResult.FAIL, "SN1", codes=("C02",))
    key = fleet.get("/api/v1/devices/SN1")["public_key"]  # type: ignore[index]
    token = f"#token={fleet.tokens.technician}"
    pages = {
        "board": (f"/board/town-hall?lang={language}{token}", '[data-device="SN1"]'),
        "console": (f"/console?lang={language}{token}", "[data-alert]"),
        "device": (f"/devices/SN1?lang={language}{token}", ".chart"),
        "report": (f"/reports/compliance?lang={language}{token}", "#rows tbody tr"),
        "qr page": (f"/d/SN1?k={key}&lang={language}", "article.tile"),
        "admin": (
            f"/admin?lang={language}#token={fleet.tokens.admin}",
            '#device-table tr[data-device="SN1"]',
        ),
        "stickers": (f"/stickers?site=town-hall&lang={language}{token}", ".sticker"),
    }
    english = english_sentences()
    page = browser.new_page()
    page.add_init_script(f"localStorage.setItem('aedmon-lang', '{language}')")
    for name, (path, ready) in pages.items():
        page.goto(f"{fleet.url}{path}")
        page.wait_for_selector(ready)
        page.wait_for_function("code => document.documentElement.lang === code", arg=language)
        page.wait_for_timeout(300)  # the first poll's answer drawn
        shown = page.locator("body").inner_text()
        left = sorted(sentence for sentence in english if sentence in shown)
        if language == "en":  # the control: in English the same look finds the catalogue's words
            assert left, f"{name} in English shows none of the English catalogue"
        else:
            assert left == [], f"{name} in {language} still says in English: {left}"
