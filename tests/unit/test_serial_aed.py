"""serial-aed v1: the protocol's own examples, framing edge cases, and no-crash properties."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aedmon.errors import ChecksumError, MalformedSentence, ProtocolError
from aedmon.protocols import serial_aed
from aedmon.protocols.framing import LineFramer
from aedmon.reading import DeviceKind, DeviceState, EventType, Reading, ReadingType, TestResult, TestType

ARRIVAL = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
EXAMPLES = [
    b"$AEDID,SN10442,Acme,Lifeguard 3,2.4.1*2E",
    b"$AEDST,SN10442,17,20261122T060000Z,D,PASS,,87,2029-05,2027-03-31,1,21.5*19",
    b"$AEDST,SN10442,18,20261123T060000Z,D,FAIL,P02|B01,14,2029-05,2026-11-01,1,20.0*66",
    b"$AEDHB,SN10442,19,20261123T060100Z,NOT_READY*23",
]


def parse(line: bytes) -> Reading:
    return serial_aed.to_reading(serial_aed.parse_sentence(line), site="town-hall", arrival=ARRIVAL)


def test_protocol_examples_have_valid_checksums() -> None:
    for line in EXAMPLES:
        assert serial_aed.parse_sentence(line).type == line[1:6].decode()


def test_identity_example() -> None:
    reading = parse(EXAMPLES[0])
    assert reading.type is ReadingType.IDENTITY
    assert (reading.device_id, reading.manufacturer, reading.model, reading.firmware) == (
        "SN10442",
        "Acme",
        "Lifeguard 3",
        "2.4.1",
    )
    assert reading.kind is DeviceKind.AED
    assert reading.device_time == ARRIVAL


def test_passing_selftest_example() -> None:
    reading = parse(EXAMPLES[1])
    assert reading.type is ReadingType.SELFTEST
    assert reading.seq == 17
    assert reading.device_time == datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
    assert reading.test is TestType.DAILY
    assert reading.result is TestResult.PASS
    assert reading.codes == ()
    assert reading.battery_pct == 87
    assert reading.battery_expiry == date(2029, 5, 31)  # a month alone is its last day
    assert reading.pads_expiry == date(2027, 3, 31)
    assert reading.pads_connected is True
    assert reading.temp_c == 21.5


def test_failing_selftest_example_keeps_its_codes() -> None:
    reading = parse(EXAMPLES[2])
    assert reading.result is TestResult.FAIL
    assert reading.codes == ("P02", "B01")
    assert reading.battery_pct == 14
    assert reading.pads_expiry == date(2026, 11, 1)


def test_heartbeat_example() -> None:
    reading = parse(EXAMPLES[3])
    assert reading.type is ReadingType.HEARTBEAT
    assert reading.state is DeviceState.NOT_READY
    assert reading.seq == 19


def test_event_round_trip_with_empty_detail() -> None:
    line = serial_aed.encode_sentence("AEDEV", ["SN1", "5", "20261123T060000Z", "LID_OPEN", ""])
    reading = parse(line.rstrip())
    assert reading.event is EventType.LID_OPEN
    assert reading.detail is None


def test_unknown_code_is_kept_as_it_came() -> None:
    line = serial_aed.encode_sentence(
        "AEDST", ["SN1", "1", "20261123T060000Z", "W", "WARN", "X99|B01", "50", "", "", "", ""]
    )
    reading = parse(line.rstrip())
    assert reading.codes == ("X99", "B01")
    assert reading.battery_expiry is None
    assert reading.temp_c is None


@pytest.mark.parametrize(
    ("line", "error"),
    [
        (b"$AEDHB,SN10442,19,20261123T060100Z,NOT_READY*24", ChecksumError),
        (b"$AEDHB,SN10442,19,20261123T060100Z,NOT_READY", ChecksumError),
        (b"$AEDHB,SN10442,19,20261123T060100Z,NOT_READY*2", ChecksumError),
        (b"$AEDHB,SN10442,19,20261123T060100Z,NOT_READY*23x", ChecksumError),
    ],
)
def test_checksum_missing_or_wrong_is_rejected(line: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        serial_aed.parse_sentence(line)


@pytest.mark.parametrize(
    "fields",
    [
        ("AEDHB", ["SN1", "1", "2026-11-23T06:00:00Z", "READY"]),  # wrong time format
        ("AEDHB", ["SN1", "70000", "20261123T060000Z", "READY"]),  # seq out of range
        ("AEDHB", ["SN1", "1", "20261123T060000Z", "ASLEEP"]),  # unknown state
        ("AEDHB", ["SN1", "1", "20261123T060000Z"]),  # too few fields
        ("AEDEV", ["SN1", "1", "20261123T060000Z", "DOOR_OPEN", ""]),  # MQTT-only event
        ("AEDST", ["SN1", "1", "20261123T060000Z", "X", "PASS", "", "", "", "", "", ""]),
        ("AEDST", ["SN1", "1", "20261123T060000Z", "D", "PASS", "", "101", "", "", "", ""]),
        ("AEDST", ["SN1", "1", "20261123T060000Z", "D", "PASS", "", "", "2026-13", "", "", ""]),
        ("AEDST", ["SN1", "1", "20261123T060000Z", "D", "PASS", "", "", "", "", "2", ""]),
        ("AEDST", ["SN1", "1", "20261123T060000Z", "D", "PASS", "", "", "", "", "", "warm"]),
        ("AEDXX", ["SN1"]),
        ("AEDHB", ["bad id!", "1", "20261123T060000Z", "READY"]),
    ],
)
def test_malformed_sentences_are_rejected_with_a_reason(fields: tuple[str, list[str]]) -> None:
    line = serial_aed.encode_sentence(*fields).rstrip()
    with pytest.raises(MalformedSentence) as info:
        parse(line)
    assert info.value.reason in ("malformed", "unknown_type")


def test_framer_skips_noise_and_accepts_bare_lf() -> None:
    framer = LineFramer()
    result = framer.feed(b"\x00\xffjunk" + EXAMPLES[3] + b"\n" + EXAMPLES[0] + b"\r\n")
    assert result.sentences == [EXAMPLES[3], EXAMPLES[0]]
    assert result.noise_bytes == 6


def test_framer_joins_a_sentence_split_across_reads() -> None:
    framer = LineFramer()
    first = framer.feed(EXAMPLES[1][:20])
    second = framer.feed(EXAMPLES[1][20:] + b"\r\n")
    assert first.sentences == []
    assert second.sentences == [EXAMPLES[1]]


def test_half_sentence_before_a_reset_is_noise_and_the_next_sentence_survives() -> None:
    result = LineFramer().feed(EXAMPLES[2][:30] + EXAMPLES[0] + b"\r\n")
    assert result.sentences == [EXAMPLES[0]]
    assert result.noise_bytes == 30


def test_overlong_line_is_discarded_up_to_the_next_dollar_and_counted() -> None:
    long_line = b"$AEDHB," + b"A" * 250 + b"\r\n"
    result = LineFramer().feed(long_line + EXAMPLES[3] + b"\r\n")
    assert result.overlong == 1
    assert result.sentences == [EXAMPLES[3]]


def test_sentence_of_exactly_200_bytes_is_accepted() -> None:
    body = b"AEDEV,SN1,1,20261123T060000Z,LID_OPEN,"
    pad = 200 - (len(body) + 6)  # $ + body + *CS + CR LF
    body += b"x" * pad
    line = b"$" + body + b"*" + serial_aed.checksum(body).encode()
    assert len(line) + 2 == 200
    assert LineFramer().feed(line + b"\r\n").sentences == [line]
    assert parse(line).detail == "x" * pad


def test_commands_the_bridge_sends_parse_as_the_device_reads_them() -> None:
    for line, expected in [
        (serial_aed.query_identity(), ("QRYID", None)),
        (serial_aed.query_status(), ("QRYST", None)),
        (serial_aed.acknowledge(65535), ("ACKSQ", 65535)),
    ]:
        assert serial_aed.parse_command(serial_aed.parse_sentence(line.rstrip())) == expected


@given(st.binary(max_size=600))
def test_no_input_bytes_crash_the_framer_or_parser(data: bytes) -> None:
    framer = LineFramer()
    for line in framer.feed(data).sentences:
        with contextlib.suppress(ProtocolError):
            parse(line)


_field_text = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126, blacklist_characters="$*,"), max_size=20
)


@given(st.lists(_field_text, min_size=0, max_size=12), st.sampled_from(["AEDST", "AEDHB", "AEDEV", "AEDID"]))
def test_any_checksummed_sentence_is_parsed_or_rejected_cleanly(fields: list[str], kind: str) -> None:
    line = serial_aed.encode_sentence(kind, fields).rstrip()
    try:
        reading = parse(line)
    except ProtocolError:
        return
    assert reading.device_id == fields[0]


# hypothesis takes naive bounds and adds the zone itself
EARLIEST = datetime(2000, 1, 1)  # noqa: DTZ001
LATEST = datetime(2099, 1, 1)  # noqa: DTZ001
_readings = st.builds(
    Reading,
    device_id=st.from_regex(r"\A[A-Za-z0-9_-]{1,20}\Z"),
    site=st.just("town-hall"),
    kind=st.just(DeviceKind.AED),
    type=st.just(ReadingType.SELFTEST),
    device_time=st.datetimes(
        min_value=EARLIEST,
        max_value=LATEST,
        timezones=st.just(UTC),
    ).map(lambda d: d.replace(microsecond=0)),
    arrival_time=st.just(ARRIVAL),
    seq=st.integers(0, 65535),
    test=st.sampled_from(TestType),
    result=st.sampled_from(TestResult),
    codes=st.lists(st.sampled_from(["B01", "P02", "C01", "Z77"]), max_size=3, unique=True).map(tuple),
    battery_pct=st.none() | st.integers(0, 100),
    battery_expiry=st.none() | st.dates(date(2000, 1, 1), date(2099, 12, 31)),
    pads_expiry=st.none() | st.dates(date(2000, 1, 1), date(2099, 12, 31)),
    pads_connected=st.none() | st.booleans(),
    temp_c=st.none() | st.integers(-400, 850).map(lambda t: t / 10),
)


@given(_readings)
def test_simulator_encoding_round_trips_through_the_bridge_parser(reading: Reading) -> None:
    assert parse(serial_aed.encode_reading(reading).rstrip()) == reading


@pytest.mark.parametrize("ending", [b"\r\n", b"\n", b"\r"], ids=["crlf", "lf", "cr"])
def test_every_line_end_a_firmware_may_use_ends_a_sentence(ending: bytes) -> None:
    result = LineFramer().feed(b"".join(line + ending for line in EXAMPLES))
    assert result.sentences == list(EXAMPLES)
    assert result.noise_bytes == 0


def test_a_fail_dated_in_a_leap_second_is_kept_as_the_last_instant_of_its_minute() -> None:
    body = b"AEDST,SN10442,18,20261231T235960Z,D,FAIL,P02,14,2029-05,2026-11-01,1,20.0"
    reading = parse(b"$" + body + b"*" + serial_aed.checksum(body).encode())
    assert reading.result is TestResult.FAIL
    assert reading.device_time == datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    with pytest.raises(MalformedSentence):
        serial_aed.parse_time("20261231T235961Z")  # no minute has 62 seconds
