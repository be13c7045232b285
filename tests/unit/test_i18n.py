"""Every page speaks every language fully: the same words in each, and words for every reason."""

from __future__ import annotations

import pytest

from server.rules.findings import AlertType
from server.rules.readiness import Cause
from server.web.i18n import LANGUAGES, UI, pick_language


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_each_language_has_every_word_english_has(language: str) -> None:
    assert set(UI[language]) == set(UI["en"])
    assert all(UI[language][key] or key.startswith("todo.") for key in UI[language])


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_reason_a_verdict_can_give_has_words(language: str) -> None:
    for key in [*AlertType, *Cause]:
        assert UI[language][f"reason.{key}"], f"{language} has no words for {key}"
        assert f"todo.{key}" in UI[language]


def test_words_differ_between_languages_where_they_should() -> None:
    labels = {language: UI[language]["reason.pads_expired"] for language in LANGUAGES}
    assert len(set(labels.values())) == len(LANGUAGES)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("uk-UA,uk;q=0.9", "uk"), ("de-DE,cs;q=0.8", "cs"), ("fr", "en"), (None, "en"), ("BG", "bg")],
)
def test_the_browser_language_picks_the_first_one_spoken(header: str | None, expected: str) -> None:
    assert pick_language(header) == expected
