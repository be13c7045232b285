"""AED serial line protocol v1 (shared/protocols/serial-aed.md): sentences ⇄ Readings.

Pure: no I/O and no clock. `parse_sentence` checks framing and checksum, `to_reading`
gives the sentence its meaning, `encode_*` build sentences for the simulator and for the
bridge's commands, so one module speaks both directions of the contract.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TypeVar

from aedmon.errors import ChecksumError, FramingError, MalformedSentence
from aedmon.reading import (
    ID_RE,
    SERIAL_EVENTS,
    DeviceKind,
    DeviceState,
    EventType,
    Reading,
    ReadingType,
    TestResult,
    TestType,
)

from . import LineContext
from .framing import MAX_SENTENCE

TIME_FORMAT = "%Y%m%dT%H%M%SZ"
_TYPE_RE = re.compile(rb"^[A-Z]{5}$")
_FIELD_FORBIDDEN = frozenset("$*,")

TEST_LETTERS: dict[str, TestType] = {
    "D": TestType.DAILY,
    "W": TestType.WEEKLY,
    "M": TestType.MONTHLY,
    "P": TestType.POWER_ON,
    "U": TestType.USER,
}
LETTER_OF_TEST = {test: letter for letter, test in TEST_LETTERS.items()}

FIELD_COUNTS = {"AEDID": 4, "AEDST": 11, "AEDHB": 4, "AEDEV": 5}


@dataclass(frozen=True)
class Sentence:
    type: str
    fields: tuple[str, ...]


def checksum(body: bytes) -> str:
    value = 0
    for byte in body:
        value ^= byte
    return f"{value:02X}"


def parse_sentence(line: bytes) -> Sentence:
    """A framed line (`$…*CS`, without CR LF) checked and split into type and fields."""
    if len(line) + 2 > MAX_SENTENCE:
        raise FramingError("sentence longer than 200 bytes", reason="overlong")
    if not line.startswith(b"$"):
        raise FramingError("sentence does not start with $", reason="noise")
    star = line.rfind(b"*")
    if star < 0 or len(line) - star != 3:
        raise ChecksumError("checksum missing")
    body, given = line[1:star], line[star + 1 :]
    if given.upper() != given or checksum(body) != given.decode("ascii", "replace"):
        raise ChecksumError(f"checksum {given!r} does not match")
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError as exc:
        raise MalformedSentence("non-ASCII byte in sentence") from exc
    if not text.isprintable():
        raise MalformedSentence("non-printable byte in sentence")
    kind, *fields = text.split(",")
    if not _TYPE_RE.match(kind.encode()):
        raise MalformedSentence(f"bad sentence type {kind!r}")
    if "$" in text:
        raise MalformedSentence("$ inside a sentence")
    return Sentence(kind, tuple(fields))


def encode_sentence(kind: str, fields: tuple[str, ...] | list[str] = ()) -> bytes:
    """`$KIND,f1,…*CS\\r\\n`; refuses fields the protocol cannot carry."""
    for value in fields:
        if any(ch in _FIELD_FORBIDDEN for ch in value) or not value.isprintable():
            raise ValueError(f"field {value!r} cannot be sent on the serial line")
    body = ",".join([kind, *fields]).encode("ascii")
    line = b"$" + body + b"*" + checksum(body).encode() + b"\r\n"
    if len(line) > MAX_SENTENCE:
        raise ValueError("sentence longer than 200 bytes")
    return line


def parse_time(text: str) -> datetime:
    """A UTC time; a leap second (`…235960Z`) is the last microsecond of its minute, so a FAIL
    made in one is kept, and still before the next minute's readings."""
    leap = len(text) == 16 and text[13:15] == "60"
    try:
        moment = datetime.strptime(text[:13] + "59Z" if leap else text, TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise MalformedSentence(f"bad time {text!r}") from exc
    return moment.replace(microsecond=999_999) if leap else moment


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def parse_date(text: str) -> date | None:
    """`YYYY-MM-DD`, or `YYYY-MM` meaning the last day of that month; empty is unknown."""
    if not text:
        return None
    try:
        if len(text) == 7 and text[4] == "-":
            year, month = int(text[:4]), int(text[5:])
            return date(year, month, calendar.monthrange(year, month)[1])
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError as exc:
        raise MalformedSentence(f"bad date {text!r}") from exc
    raise MalformedSentence(f"bad date {text!r}")


def _optional_int(text: str, name: str) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise MalformedSentence(f"{name} is not a whole number: {text!r}")
    return int(text)


def _optional_float(text: str, name: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError as exc:
        raise MalformedSentence(f"{name} is not a number: {text!r}") from exc
    if value != value or value in (float("inf"), float("-inf")):
        raise MalformedSentence(f"{name} is not a finite number: {text!r}")
    return value


def _flag(text: str, name: str) -> bool | None:
    if not text:
        return None
    if text not in ("0", "1"):
        raise MalformedSentence(f"{name} must be 0 or 1, not {text!r}")
    return text == "1"


_E = TypeVar("_E", TestResult, DeviceState, EventType)


def _choice(enum: type[_E], text: str, name: str) -> _E:
    try:
        return enum(text)
    except ValueError as exc:
        raise MalformedSentence(f"unknown {name} {text!r}") from exc


def to_reading(sentence: Sentence, *, site: str, arrival: datetime, source: str = "") -> Reading:
    """The meaning of one device sentence; raises MalformedSentence if it has none."""
    expected = FIELD_COUNTS.get(sentence.type)
    if expected is None:
        raise MalformedSentence(f"unknown sentence type {sentence.type}", reason="unknown_type")
    f = sentence.fields
    if len(f) != expected:
        raise MalformedSentence(f"{sentence.type} has {len(f)} fields, expected {expected}")
    serial = f[0]
    if not ID_RE.match(serial):
        raise MalformedSentence(f"serial {serial!r} is not a usable device id")
    common = {
        "device_id": serial,
        "site": site,
        "kind": DeviceKind.AED,
        "arrival_time": arrival,
        "source": source,
    }
    if sentence.type == "AEDID":
        return Reading(
            **common,
            type=ReadingType.IDENTITY,
            device_time=arrival,
            serial=serial,
            manufacturer=f[1] or None,
            model=f[2] or None,
            firmware=f[3] or None,
        )
    seq = _optional_int(f[1], "seq")
    if seq is None or seq > 65535:
        raise MalformedSentence(f"seq {f[1]!r} outside 0-65535")
    moment = parse_time(f[2])
    if sentence.type == "AEDHB":
        return Reading(
            **common,
            type=ReadingType.HEARTBEAT,
            seq=seq,
            device_time=moment,
            state=_choice(DeviceState, f[3], "state"),
        )
    if sentence.type == "AEDEV":
        event = _choice(EventType, f[3], "event")
        if event not in SERIAL_EVENTS:
            raise MalformedSentence(f"event {f[3]!r} is not a serial-protocol event")
        return Reading(
            **common,
            type=ReadingType.EVENT,
            seq=seq,
            device_time=moment,
            event=event,
            detail=f[4] or None,
        )
    # AEDST
    if f[3] not in TEST_LETTERS:
        raise MalformedSentence(f"unknown test {f[3]!r}")
    battery = _optional_int(f[6], "battery_pct")
    if battery is not None and battery > 100:
        raise MalformedSentence(f"battery_pct {battery} above 100")
    return Reading(
        **common,
        type=ReadingType.SELFTEST,
        seq=seq,
        device_time=moment,
        test=TEST_LETTERS[f[3]],
        result=_choice(TestResult, f[4], "result"),
        codes=tuple(code for code in f[5].split("|") if code),
        battery_pct=battery,
        battery_expiry=parse_date(f[7]),
        pads_expiry=parse_date(f[8]),
        pads_connected=_flag(f[9], "pads_connected"),
        temp_c=_optional_float(f[10], "temp_c"),
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _date_text(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def encode_reading(reading: Reading) -> bytes:
    """The sentence a device sends for this reading (the simulator's encoder)."""
    serial = reading.device_id
    if reading.type is ReadingType.IDENTITY:
        return encode_sentence(
            "AEDID",
            [serial, _text(reading.manufacturer), _text(reading.model), _text(reading.firmware)],
        )
    head = [serial, _text(reading.seq), format_time(reading.device_time)]
    if reading.type is ReadingType.HEARTBEAT:
        return encode_sentence("AEDHB", [*head, _text(reading.state and reading.state.value)])
    if reading.type is ReadingType.EVENT:
        return encode_sentence(
            "AEDEV", [*head, _text(reading.event and reading.event.value), _text(reading.detail)]
        )
    if reading.type is ReadingType.SELFTEST:
        return encode_sentence(
            "AEDST",
            [
                *head,
                LETTER_OF_TEST[reading.test] if reading.test else "",
                _text(reading.result and reading.result.value),
                "|".join(reading.codes),
                _text(reading.battery_pct),
                _date_text(reading.battery_expiry),
                _date_text(reading.pads_expiry),
                _text(reading.pads_connected),
                _text(reading.temp_c),
            ],
        )
    raise ValueError(f"no serial sentence for a {reading.type} reading")


def query_identity() -> bytes:
    return encode_sentence("QRYID")


def query_status() -> bytes:
    return encode_sentence("QRYST")


def acknowledge(seq: int) -> bytes:
    return encode_sentence("ACKSQ", [str(seq)])


def parse_command(sentence: Sentence) -> tuple[str, int | None]:
    """A bridge→device command as the device reads it: (type, seq for ACKSQ)."""
    if sentence.type in ("QRYID", "QRYST") and not sentence.fields:
        return sentence.type, None
    if sentence.type == "ACKSQ" and len(sentence.fields) == 1:
        seq = _optional_int(sentence.fields[0], "seq")
        if seq is not None and seq <= 65535:
            return "ACKSQ", seq
    raise MalformedSentence(f"not a bridge command: {sentence.type}")


class AedLineDecoder:
    """serial-aed v1 on one line: QRYID on connect, ACKSQ for every reading with a seq."""

    def __init__(self, site: str) -> None:
        self.site = site

    def greeting(self) -> bytes:
        return query_identity()

    def decode(self, line: bytes, *, arrival: datetime, source: str) -> Reading | None:
        return to_reading(parse_sentence(line), site=self.site, arrival=arrival, source=source)

    def acknowledgement(self, reading: Reading) -> bytes:
        return b"" if reading.seq is None else acknowledge(reading.seq)


def decoder_for(line: LineContext) -> AedLineDecoder:
    return AedLineDecoder(line.site)
