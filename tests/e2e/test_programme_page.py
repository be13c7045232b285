"""The programme's report as a person reads it, in Chromium, in each language: each device's
share of time ready as a bar and a number, what kept it from being ready in words, the checks;
no raw value on a translated page; printed to PDF with the words in it."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pypdf
import pytest

from aedmon.reading import TestResult

from .. import factories
from ..conftest import ServerProcess
from .conftest import send

RAW = ("self_test_failed", "ready_share", "downtime_by_cause", "not_ready", "null", "undefined", "NaN")


@pytest.mark.parametrize(
    ("language", "title", "cause"),
    [
        ("bg", "Какво постигна програмата", "Неуспешен самотест"),
        ("uk", "Чого досягла програма", "Самотест не пройдено"),
        ("cs", "Co program dokázal", "Autotest selhal"),
        ("en", "What the programme achieved", "Self-test failed"),
    ],
)
def test_the_programme_report_reads_in_the_readers_words_and_prints(
    fleet: ServerProcess, browser: Any, language: str, title: str, cause: str
) -> None:
    send(fleet, 2, TestResult.FAIL, "SN1", codes=("C02",))  # SN1 down from now on
    with fleet.client("admin") as admin:
        admin.patch(f"/api/v1/sites/{factories.SITE}", json={"name": "Кметство Перник"}).raise_for_status()
    today = datetime.now(UTC).date().isoformat()
    page = browser.new_page(viewport={"width": 390, "height": 900}, locale=language)
    page.goto(
        f"{fleet.url}/reports/programme?from={today}&to={today}&lang={language}#token={fleet.tokens.viewer}"
    )
    page.wait_for_selector("#rows tbody tr meter")
    assert page.locator("h1").inner_text() == title
    shown = page.locator("main").inner_text()
    for raw in RAW:
        assert raw not in shown, raw
    scope = page.locator("#scope").inner_text()  # the period asked, its days in words
    assert today not in scope
    assert scope.count(today[:4]) == 2  # from and to, each with its year
    assert page.locator("#rows tbody tr").count() == 3
    assert page.locator("#rows meter").count() == 3
    row = page.locator("#rows tbody tr", has_text="Reception AED").inner_text()
    assert cause in row  # what kept it from being ready, in words
    assert "Кметство Перник" in row  # the site by its name, never its id
    assert factories.SITE not in row
    pdf = pypdf.PdfReader(io.BytesIO(page.pdf(format="A4")))  # the page's print stylesheet
    printed = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    assert "Reception AED" in printed
    assert title.split()[0] in printed
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow  # nothing wider than a phone
