"""Words by key: every text a person reads, from the gettext catalogues under `locale/`.

One `aedmon.po` per language (English is a catalogue like the others: message ids are keys
such as `reason.pads_expired`, `detail.relocated.distance`, `ui.save`). They are read with
Babel and compiled in memory when first used, so the `.po` file is the only source. `Words`
says a message in one language and time zone: moments, days, durations, distances and
counts are formatted by Babel for the reader, and plural forms follow the language's rule.

    ui.*        the pages' words (also the scripts', as JSON: `script_words`)
    reason.*    what is wrong, per alert type or readiness cause; todo.* what to do
    detail.*    what a rule found, with its dates, codes and distances
    cause.*     a readiness reason that is no alert, with its parameters
    notice.*    the frame of notifications and digests
    code.*      self-test codes in words
    csv.*       report column headings
    ha.*        Home Assistant's entity names
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_time
from babel.lists import format_list
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from babel.units import format_unit

from server.rules.findings import Param, Phrase

LANGUAGES = {"en": "English", "bg": "Български", "uk": "Українська", "cs": "Čeština"}
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
UTC_ZONE = ZoneInfo("UTC")
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@functools.cache
def catalogue(language: str) -> Catalog:
    """The language's catalogue as Babel reads it from its `.po` file."""
    with (LOCALE_DIR / language / "LC_MESSAGES" / "aedmon.po").open("rb") as po:
        return read_po(po, locale=language, domain="aedmon")


@functools.cache
def translations(language: str) -> Translations:
    compiled = io.BytesIO()
    write_mo(compiled, catalogue(language))
    compiled.seek(0)
    return Translations(compiled, domain="aedmon")


def pick_language(accept_language: str | None) -> str:
    """The first of the browser's languages that aedmon speaks, else English."""
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def zone(name: str | None) -> ZoneInfo:
    """A time zone by its IANA name; UTC for none or one this machine does not know."""
    if not name:
        return UTC_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_ZONE


def is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


class Words:
    """Messages said in one language and time zone."""

    def __init__(
        self,
        language: str = DEFAULT_LANGUAGE,
        time_zone: ZoneInfo | str | None = None,
        *,
        name_zone: bool = False,
    ) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self.zone = time_zone if isinstance(time_zone, ZoneInfo) else zone(time_zone)
        self.name_zone = name_zone  # each moment says its zone (where a reader could mistake it)
        self.locale = Locale.parse(self.language)
        self._translations = translations(self.language)

    def __call__(self, message_id: str, **params: Param) -> str:
        """The message with its parameters formatted; a count `n` picks the plural form."""
        count = params.get("n")
        if isinstance(count, int | float) and self._is_plural(message_id):
            text = self._translations.ngettext(message_id, message_id, int(count))
        else:
            text = self._translations.gettext(message_id)
        if not params:
            return text
        formatted = {key: self.value(key, value) for key, value in params.items()}
        return _PLACEHOLDER.sub(lambda m: formatted.get(m[1], m[0]), text).replace("%%", "%")

    def _is_plural(self, message_id: str) -> bool:
        message = catalogue(self.language).get(message_id)
        return message is not None and isinstance(message.id, tuple)

    def gettext(self, message_id: str) -> str:
        return self._translations.gettext(message_id)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)

    def phrase(self, phrase: Phrase) -> str:
        reports = phrase.params.get("reports")
        if isinstance(reports, tuple):  # a reported problem: one line per report
            return "\n".join(self._report(report) for report in reports if isinstance(report, Mapping))
        return self(phrase.id, **phrase.params)

    def _report(self, report: Mapping[str, Any]) -> str:
        text, contact = str(report.get("text", "")), str(report.get("contact", ""))
        if contact:
            return self("detail.reported_problem.contact", text=text, contact=contact)
        return self("detail.reported_problem", text=text)

    def value(self, key: str, value: Param) -> str:
        """One parameter, formatted by what its name says it is."""
        if isinstance(value, datetime):
            return self.moment(value)
        if isinstance(value, date):
            return self.day(value)
        if isinstance(value, tuple):
            if key == "codes":
                return self.codes(tuple(str(code) for code in value))
            return format_list([str(item) for item in value], locale=self.locale)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return str(value)
        if key.endswith("_s"):
            return self.duration(float(value))
        if key.endswith(("_km", "_c")):
            return format_decimal(round(float(value), 1), format="#,##0.0##", locale=self.locale)
        if key.endswith("_m"):
            return format_decimal(round(float(value)), locale=self.locale)
        return format_decimal(value, locale=self.locale)

    def moment(self, value: datetime) -> str:
        """A moment in the reader's zone: day and hours:minutes, as the language writes them."""
        local = value.astimezone(self.zone)
        time_part = format_time(local, "HH:mm", tzinfo=self.zone, locale=self.locale)
        day_part = format_date(local.date(), "medium", locale=self.locale)
        pattern = str(self.locale.datetime_formats["medium"])
        said = pattern.replace("{1}", day_part).replace("{0}", time_part)
        return f"{said} {local.tzname() or self.zone.key}" if self.name_zone else said

    def day(self, value: date) -> str:
        return format_date(value, "medium", locale=self.locale)

    def duration(self, seconds: float) -> str:
        """The two largest units of a span: `2 hours, 15 minutes`, `3 days, 4 hours`."""
        left = int(abs(seconds))
        parts: list[tuple[str, int]] = []
        for unit, size in (("duration-day", 86400), ("duration-hour", 3600), ("duration-minute", 60)):
            count, left = divmod(left, size)
            if count or (parts and len(parts) < 2):
                parts.append((unit, count))
            if len(parts) == 2:
                break
        parts = [(unit, count) for unit, count in parts if count] or [("duration-second", left)]
        said = [format_unit(count, unit, length="long", locale=self.locale) for unit, count in parts]
        try:
            return format_list(said, style="unit", locale=self.locale)
        except KeyError:  # a language without a list style for units
            return " ".join(said)

    def codes(self, codes: tuple[str, ...]) -> str:
        """Self-test codes in words, unknown ones as they came."""
        known = catalogue(self.language)
        said = [self(f"code.{code}") if known.get(f"code.{code}") is not None else code for code in codes]
        return format_list(said, locale=self.locale)


def script_words(language: str) -> dict[str, str]:
    """The words the pages' scripts use, by the keys they use: `ui.x` as `x`; reasons, what to
    do and the levels' names as they are."""
    words: dict[str, str] = {}
    for message in catalogue(language if language in LANGUAGES else DEFAULT_LANGUAGE):
        key, said = message.id, message.string
        if not isinstance(key, str) or not key or not isinstance(said, str):
            continue  # the header, or a message with plural forms (no script uses one)
        if key.startswith("ui."):
            words[key.removeprefix("ui.")] = said
        elif key.startswith(("reason.", "todo.", "level.")):
            words[key] = said
    return words


def english(phrase: Phrase) -> str:
    """The phrase in English, in UTC: what the API's `message` fields carry for machines."""
    return _ENGLISH.phrase(phrase)


_ENGLISH = Words(DEFAULT_LANGUAGE, UTC_ZONE, name_zone=True)  # for machines, read anywhere: "00:55 UTC"
