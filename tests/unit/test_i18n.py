"""The catalogues: every language says every message, with the same placeholders and all its
plural forms; no id is missing and none is unused; bg, uk and cs hold no English sentence."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from aedmon.fields import FIELDS
from aedmon.reading import CODES, DeviceKind
from server.api.enrolment import Outcome
from server.api.inspections import CHECKS, SHIFT_CHECKS
from server.api.schemas import Access
from server.i18n import LANGUAGES, Words, catalogue, pick_language, script_words
from server.notify.services import AddressKind
from server.reports.compliance import EntryKind
from server.rules.findings import AlertType, Phrase, Severity
from server.rules.readiness import Cause, Readiness
from server.settings import Role
from server.store.models import AlertState, Purpose
from server.web.routes import SSO_REFUSALS

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# ids said as literals in Python, templates and scripts
LITERAL = re.compile(
    r"""["']((?:ui|reason|todo|detail|cause|notice|code|csv|ha)\.[a-z0-9_.]+[a-z0-9_])["']"""
)
# t("x"), data-t="x", button("x", …), a row ["x", value], t(flag ? "x" : "y")
SCRIPT_KEY = re.compile(
    r"""\bt\(\s*["']([a-z_]+)["']\s*\)|data-(?:t|placeholder)=["']([a-z_]+)["']|\bbutton\(\s*["']([a-z_]+)["']"""
    r"""|\[\s*["']([a-z_]+)["'],\s*(?![\s"'])|\bt\(\w+ \? ["']([a-z_]+)["'] : ["']([a-z_]+)["']\)"""
)
# Words that are the same in every language (names, abbreviations): not an English sentence left over
SAME_EVERYWHERE = {"ui.mqtt", "ui.csv", "csv.hash"}


def messages(language: str) -> dict[str, str | tuple[str, ...]]:
    found: dict[str, str | tuple[str, ...]] = {}
    for message in catalogue(language):
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        found[key] = tuple(message.string) if isinstance(message.string, list | tuple) else message.string
    return found


def forms(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


def ids_the_code_asks_for() -> set[str]:
    """Every message id the code can ask for: literals, and the families it builds from enums."""
    asked: set[str] = set()
    for path in [*ROOT.joinpath("server").rglob("*.py"), *ROOT.joinpath("server").rglob("*.html")]:
        asked |= set(LITERAL.findall(path.read_text()))
    for path in [
        *ROOT.joinpath("server/web/static").glob("*.js"),
        *ROOT.joinpath("server/web").rglob("*.html"),
    ]:
        for found in SCRIPT_KEY.findall(path.read_text()):
            asked |= {f"ui.{key}" for key in found if key}
    reasons = [*AlertType, *Cause]
    asked |= {f"reason.{key}" for key in reasons} | {
        f"todo.{key}" for key in reasons if key is not Cause.READY
    }
    asked |= {f"code.{code}" for code in CODES}
    asked |= {row.label for row in FIELDS}  # the fields table's labels (API, charts, dashboards)
    asked |= {said for row in FIELDS for said in row.level_labels().values()}  # their levels' names
    # device.js and report.js: each check by its key, each kind of the record's rows, each result
    asked |= {f"ui.{check}" for check in (*CHECKS, *SHIFT_CHECKS)}
    asked |= {f"ui.entry_{kind}" for kind in EntryKind} | {"ui.result_ok", "ui.result_not_ok"}
    asked |= {f"ui.{word}" for word in [*Severity, *Readiness]} | {
        f"ui.state_{state}" for state in AlertState
    }
    asked |= {f"notice.{purpose}" for purpose in (Purpose.REMINDER, Purpose.ESCALATION)}
    asked |= {f"ui.{kind}" for kind in ("compliance", "consumables", "programme")}  # the report pages' titles
    asked |= {
        f"ui.bring_{thing}" for thing in ("pads", "battery", "aed", "sensor_battery", "oxygen")
    }  # console.js
    # admin.js and admin.html: t("role_" + …), t("outcome_" + …), data-t="kind_{{ … }}", "access_…"
    asked |= {f"ui.role_{role}" for role in Role} | {f"ui.outcome_{outcome}" for outcome in Outcome}
    asked |= {f"ui.kind_{kind}" for kind in DeviceKind if kind is not DeviceKind.BRIDGE}
    asked |= {f"ui.access_{access}" for access in Access}
    asked |= {f"ui.address_{kind}" for kind in AddressKind}  # console.js: t("address_" + …)
    asked |= {f"ui.sso_{why}" for why in SSO_REFUSALS}  # login.html: _("ui.sso_" ~ …)
    for alert in (AlertType.PADS_EXPIRED, AlertType.BATTERY_EXPIRED):  # selftest.py: f"detail.{alert}.by_…"
        asked |= {f"detail.{alert}.by_date", f"detail.{alert}.by_code"}
    asked |= {f"detail.{alert}.by_date" for alert in (AlertType.PADS_EXPIRING, AlertType.BATTERY_EXPIRING)}
    asked |= {f"detail.{t}.no_code" for t in (AlertType.SELF_TEST_FAILED, AlertType.SELF_TEST_WARNING)}
    asked |= {f"detail.temperature_out_of_range.{which}" for which in ("storage", "fridge", "both")}
    asked |= {f"detail.clock_fault.{direction}" for direction in ("ahead", "behind")}
    asked |= {
        f"detail.sensor_offline.{which}" for which in ("sensor", "coordinator")
    }  # sensor.py: f"…{which}"
    return asked


def test_no_message_id_is_missing_or_unused() -> None:
    defined = set(messages("en"))
    asked = ids_the_code_asks_for()
    assert sorted(asked - defined) == [], "asked for but in no catalogue"
    assert sorted(defined - asked) == [], "in the catalogue but never asked for"


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_each_language_says_every_message_with_its_placeholders_and_plural_forms(language: str) -> None:
    english, here = messages("en"), messages(language)
    assert set(here) == set(english)
    plurals = catalogue(language).num_plurals
    for key, value in here.items():
        said = forms(value)
        assert all(form.strip() for form in said), f"{language}: {key} is empty"
        if isinstance(english[key], tuple):
            assert len(said) == plurals, f"{language}: {key} has {len(said)} plural forms, not {plurals}"
        wanted = set(PLACEHOLDER.findall(forms(english[key])[0]))
        for form in said:
            assert set(PLACEHOLDER.findall(form)) == wanted, f"{language}: {key} placeholders differ"


@pytest.mark.parametrize("language", sorted(set(LANGUAGES) - {"en"}))
def test_no_english_sentence_is_left_in_another_language(language: str) -> None:
    english, here = messages("en"), messages(language)
    left = [
        key
        for key, value in here.items()
        if key not in SAME_EVERYWHERE
        and set(forms(value)) & set(forms(english[key]))
        and " " in forms(value)[0]
    ]
    assert left == []


def test_the_scripts_catalogue_has_the_pages_words_and_every_reason() -> None:
    for language in LANGUAGES:
        words = script_words(language)
        assert words["save"] == messages(language)["ui.save"]
        assert all(f"reason.{key}" in words for key in [*AlertType, *Cause])


@pytest.mark.parametrize(
    ("header", "expected"),
    [("uk-UA,uk;q=0.9", "uk"), ("de-DE,cs;q=0.8", "cs"), ("fr", "en"), (None, "en"), ("BG", "bg")],
)
def test_the_browser_language_picks_the_first_one_spoken(header: str | None, expected: str) -> None:
    assert pick_language(header) == expected


@pytest.mark.parametrize(
    ("language", "days", "said"),
    [
        ("en", 1, "(in 1 day)"),
        ("en", 5, "(in 5 days)"),
        ("uk", 1, "(через 1 день)"),
        ("uk", 3, "(через 3 дні)"),
        ("uk", 11, "(через 11 днів)"),
        ("cs", 2, "(za 2 dny)"),
        ("cs", 5, "(za 5 dní)"),
        ("bg", 1, "(след 1 ден)"),
        ("bg", 7, "(след 7 дни)"),
    ],
)
def test_counts_take_the_languages_plural_form(language: str, days: int, said: str) -> None:
    phrase = Phrase("detail.pads_expiring.by_date", {"expiry_on": date(2026, 12, 1), "n": days})
    assert said in Words(language).phrase(phrase)


@pytest.mark.parametrize(
    ("zone", "language", "said"),
    [
        ("Europe/Sofia", "bg", "24.11.2026\u202fг., 11:40"),
        ("Europe/Kyiv", "uk", "24 лист. 2026\u202fр., 11:40"),
        ("Europe/Prague", "cs", "24. 11. 2026 10:40"),
        ("UTC", "en", "Nov 24, 2026, 09:40"),
    ],
)
def test_moments_are_said_in_the_sites_time_zone_and_the_readers_language(
    zone: str, language: str, said: str
) -> None:
    moment = datetime(2026, 11, 24, 9, 40, tzinfo=UTC)
    assert Words(language, zone).moment(moment) == said


def test_a_phrase_survives_the_store_as_json() -> None:
    phrase = Phrase(
        "detail.relocated.distance",
        {"away_m": 120.4, "fence_m": 50.0, "at": datetime(2026, 11, 24, 9, 40, tzinfo=UTC)},
    )
    assert Phrase.from_json(phrase.to_json()) == phrase
    assert Words("en").phrase(phrase) == "Located 120 m from its place (allowed 50 m) at Nov 24, 2026, 09:40."
