"""Channels through Apprise, one tap to take an alert, quiet hours: the pure parts.

The services file and its addresses are checked with Apprise itself (which host a URL
names after an address is put in it); the SMS are counted in segments as a phone network
counts them; the take links are checked against every alteration of one byte."""

from __future__ import annotations

import functools
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import apprise
import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.i18n import LANGUAGES, Words
from server.notify import links
from server.notify.apprise_channel import shaped
from server.notify.messages import Item, Message, render, render_digest, segments
from server.notify.routing import quiet_until
from server.notify.services import AddressKind, Services, ServicesError, Shape, redact
from server.rules.findings import AlertType, Phrase, Severity
from server.store.models import Purpose

NOW = datetime(2026, 12, 7, 9, 40, tzinfo=UTC)
TELEGRAM_TOKEN = "123456:AAH-distinctive-telegram-token"
SMS_TOKEN = "distinctive-smseagle-token"
FILE = f"""
[services.telegram]
url = "tgram://{TELEGRAM_TOKEN}/{{address}}"
[services.sms]
url = "smseagle://{SMS_TOKEN}@sms.example.org/{{address}}"
[services.ntfy]
url = "ntfys://ntfy.example.org/{{address}}"
[services.viber]
url = "viber://distinctive-viber-token/{{address}}"
[services.twilio]
url = "twilio://AC{"0" * 32}:distinctivetwiliotoken@+15551234567/{{address}}"
[services.matrix]
url = "matrixs://bot:distinctive-matrix-password@matrix.example.org/{{address}}"
[services.mail]
url = "mailtos://aed:distinctive-mail-password@mail.example.org?to={{address}}"
"""


def load(text: str, tmp_path: Path) -> Services:
    path = tmp_path / "channels.toml"
    path.write_text(text, encoding="utf-8")
    return Services.load(path)


@pytest.fixture
def services(tmp_path: Path) -> Services:
    return load(FILE, tmp_path)


def test_each_service_is_read_with_its_kind_of_address_and_shape(services: Services) -> None:
    said = {name: (s.kind, s.shape) for name, s in services.by_name.items()}
    assert said == {
        "telegram": (AddressKind.CHAT, Shape.CHAT),
        "sms": (AddressKind.PHONE, Shape.SMS),
        "ntfy": (AddressKind.TOPIC, Shape.CHAT),
        "viber": (AddressKind.ID, Shape.CHAT),
        "twilio": (AddressKind.PHONE, Shape.SMS),
        "matrix": (AddressKind.MATRIX, Shape.CHAT),
        "mail": (AddressKind.EMAIL, Shape.TEXT),
    }


@pytest.mark.parametrize(
    ("service", "address"),
    [
        ("telegram", "123456789"),
        ("telegram", "-1001234567890"),  # a group
        ("viber", "01234567890A="),
        ("twilio", "+359888123456"),
        ("sms", "+420777123456"),
        ("matrix", "#aed-team:matrix.example.org"),
        ("ntfy", "aed_pernik-1"),
        ("mail", "ivan.petrov@example.bg"),
    ],
)
def test_an_address_apprise_accepts_goes_where_it_should_and_its_secret_is_never_shown(
    services: Services, service: str, address: str
) -> None:
    """Hosted-only services (Telegram, Viber, Twilio) are checked here: Apprise takes the URL
    with the address in it, and its privacy form shows none of the file's secrets."""
    chosen = services.get(service)
    assert chosen is not None
    plugin = apprise.Apprise.instantiate(chosen.url(address))
    assert plugin is not None
    shown = str(plugin.url(privacy=True)) + chosen.privacy  # type: ignore[no-untyped-call]
    for secret in ("distinctive", "AAH-distinctive-telegram-token"):
        assert secret not in shown


HOSTILE = [
    "+359888123456@evil.example.com/x",
    "+359888123456/../x",
    "123?to=+1555",
    "123#frag",
    "123\nBcc: x",
    "evil.example.com:80",
    "",
    " 123",
    "1" * 400,
    "١٢٣",  # Arabic-Indic digits
    "%2F%2Fevil",
    "ivan@example.org?cc=x@evil.example.com",
]


@pytest.mark.parametrize("address", HOSTILE)
@pytest.mark.parametrize("service", ["telegram", "sms", "ntfy", "viber", "matrix", "mail"])
def test_an_address_that_is_not_of_its_service_is_refused(
    services: Services, service: str, address: str
) -> None:
    chosen = services.get(service)
    assert chosen is not None
    with pytest.raises(ValueError, match=f"an address for {service} must be"):
        chosen.url(address)


OTHER_KINDS = [
    ("sms", "+0123456"),
    ("sms", "0888123456"),
    ("telegram", "@name"),
    ("ntfy", "topic.with.dots"),
    ("matrix", "room:example.org"),
]


@pytest.mark.parametrize(("service", "address"), OTHER_KINDS)
def test_an_address_of_another_kind_is_refused(services: Services, service: str, address: str) -> None:
    chosen = services.get(service)
    assert chosen is not None
    with pytest.raises(ValueError, match=f"an address for {service} must be"):
        chosen.check(address)


@functools.cache
def shared_services() -> Services:
    """The file's services, for the property tests (which take no function fixtures)."""
    path = Path(tempfile.mkdtemp(prefix="aedmon-channels-")) / "channels.toml"
    path.write_text(FILE, encoding="utf-8")
    return Services.load(path)


@given(st.text(max_size=80))
def test_no_address_ever_changes_the_host_path_or_query_a_service_url_names(address: str) -> None:
    for service in shared_services().by_name.values():
        try:
            url = service.url(address)
        except ValueError:
            continue
        sample = urlsplit(service.template.replace("{address}", "x"))
        told = urlsplit(url)
        assert (told.scheme, told.netloc.rsplit("@", 1)[-1]) == (
            sample.scheme,
            sample.netloc.rsplit("@", 1)[-1],
        )
        assert told.path.count("/") == sample.path.count("/")
        assert url.count("?") == service.template.count("?")
        assert "#" not in url
        assert url.count("&") == service.template.count("&")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('[services.x]\nurl = "tgram://sekret-x/{address}"\nfoo = 1', "unknown key 'foo'"),
        ('[services.x]\nurl = "tgram://sekret-x/abc"', "exactly once"),
        ('[services.x]\nurl = "tgram://sekret-x/{address}/{address}"', "exactly once"),
        ('[services.webhook]\nurl = "tgram://sekret-x/{address}"', "service name"),
        ('[services."Bad Name"]\nurl = "tgram://sekret-x/{address}"', "service name"),
        ('[services.x]\nurl = "nosuchscheme://host/{address}"', "say what an address is"),
        ('[services.x]\nurl = "nosuchscheme://host/{address}"\naddress = "topic"', "Apprise cannot use"),
        ('[services.x]\nurl = "tgram://sekret-x/{address}"\naddress = "fax"', "address is one of"),
        ("[services.x]\nurl = 5", "url must be"),
        ('services = "x"', "services must be a table"),
        ("[other]\na = 1", "unknown table"),
        ('[services.x\nurl = "', "is not TOML"),
        ("\udcff", "is not TOML"),
    ],
)
def test_a_mistake_in_the_file_is_said_in_one_line_without_its_secrets(
    tmp_path: Path, text: str, said: str
) -> None:
    path = tmp_path / "channels.toml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(ServicesError, match=said) as raised:
        Services.load(path)
    assert "\n" not in str(raised.value)
    assert "sekret" not in str(raised.value)


def test_a_file_too_large_or_unreadable_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_text("#" * (300 * 1024))
    with pytest.raises(ServicesError, match="larger than"):
        Services.load(big)
    with pytest.raises(ServicesError, match="cannot read"):
        Services.load(tmp_path / "missing.toml")


def test_the_secrets_of_every_service_are_struck_from_any_text(services: Services) -> None:
    from server.notify.services import Holder

    Holder(services)
    text = f"failed https://api.telegram.org/bot{TELEGRAM_TOKEN}/sendMessage with {SMS_TOKEN}"
    struck = redact(text)
    assert "AAH-distinctive-telegram-token" not in struck
    assert SMS_TOKEN not in struck
    assert "api.telegram.org" in struck  # host names are no secret


def item(
    kind: AlertType, severity: Severity, purpose: Purpose = Purpose.ALERT, name: str = "АВД Кметство"
) -> Item:
    return Item(alert_id=481516, purpose=purpose, type=kind, severity=severity, device_id="SN-0042",
                device_name=name, place="Фоайе, партер", detail=Phrase(f"detail.{kind}"), at=NOW)  # fmt: skip


PUBLIC = "https://aed.pernik.bg"
TAKE = links.link(PUBLIC, links.issue(b"k" * 32, 481516, 3, 17, NOW))
SEVERITIES = {
    AlertType.SELF_TEST_FAILED: Severity.CRITICAL,
    AlertType.AED_REMOVED: Severity.CRITICAL,
    AlertType.IN_USE: Severity.CRITICAL,
}


@pytest.mark.parametrize("language", ["bg", "uk", "cs", "en"])
@pytest.mark.parametrize("kind", list(AlertType))
@pytest.mark.parametrize("purpose", [Purpose.ALERT, Purpose.REMINDER, Purpose.ESCALATION, Purpose.RESOLVED])
def test_every_sms_is_one_segment_where_it_can_be_and_three_at_most_for_a_critical_alert(
    language: str, kind: AlertType, purpose: Purpose
) -> None:
    words = Words(language, "Europe/Sofia")
    for severity in (Severity.MINOR, Severity.MAJOR, Severity.CRITICAL):
        told = item(kind, severity, purpose, name="АВД Кметство Перник, зала за събрания на общинския съвет")
        text = render(words, "town-hall", [told], PUBLIC, {told.alert_id: TAKE}).sms
        what = words(f"reason.{kind}")
        assert what in text
        link = (
            TAKE.removeprefix("https://")
            if purpose is not Purpose.RESOLVED
            else "aed.pernik.bg/devices/SN-0042"
        )
        assert link in text
        least = f"{words('notice.resolved')}: {what}" if purpose is Purpose.RESOLVED else what
        fits_one = segments(f"{least}\n{link}") <= 1
        if severity is Severity.CRITICAL and purpose is not Purpose.RESOLVED:
            assert segments(text) <= 3, text
        elif fits_one:
            assert segments(text) == 1, text
        else:  # the reason and the link alone take more than one: nothing else is added
            assert text == f"{least}\n{link}"


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_a_whole_site_failing_is_one_sms_and_one_chat_message(language: str) -> None:
    words = Words(language, "Europe/Sofia")
    many = [item(AlertType.SELF_TEST_FAILED, Severity.MAJOR, name=f"AED {n}") for n in range(12)]
    message = render(words, "town-hall", many, PUBLIC)
    assert segments(message.sms) == 1
    assert "aed.pernik.bg/board/town-hall" in message.sms
    digest = render_digest(words, "town-hall", NOW.date(), 12, many, PUBLIC)
    assert segments(digest.sms) == 1
    title, body = shaped(Shape.CHAT, digest)
    assert body.count(f"{words('reason.self_test_failed')} [") == 12
    assert not title.startswith("[aedmon]")


def test_a_chat_message_keeps_a_device_name_literal_and_an_sms_has_no_title() -> None:
    words = Words("en", "Europe/Sofia")
    told = item(AlertType.PADS_EXPIRED, Severity.MAJOR, name="*AED*_<b>[1](x)")
    message = render(words, "school", [told], PUBLIC, {told.alert_id: TAKE})
    title, body = shaped(Shape.CHAT, message)
    assert "*AED*_<b>[1](x)" in body
    assert TAKE in body
    assert "Replace" in body  # what to do, and so what to bring
    assert shaped(Shape.SMS, message) == ("", message.sms)
    assert shaped(Shape.TEXT, Message("s", "t")) == ("s", "t")


def test_a_take_link_names_its_alert_occurrence_and_contact_and_is_short() -> None:
    token = links.issue(b"k" * 32, 123456, 7, 42, NOW)
    take = links.read(b"k" * 32, token)
    assert take is not None
    assert (take.alert_id, take.occurrence, take.contact_id) == (123456, 7, 42)
    assert NOW + timedelta(hours=23) <= take.expires <= NOW + timedelta(hours=24)
    assert len(token) <= 26
    assert links.read(b"x" * 32, token) is None  # another installation's key


def test_every_alteration_of_a_take_token_is_refused() -> None:
    token = links.issue(b"k" * 32, 99, 1, 5, NOW)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for place in range(len(token)):
        for other in alphabet:
            if other != token[place]:
                altered = token[:place] + other + token[place + 1 :]
                assert links.read(b"k" * 32, altered) is None
    for wrong in ("", token[:-1], token + "A", token * 4, "é" * 20, "....", "=" * 30):
        assert links.read(b"k" * 32, wrong) is None


@given(st.text(max_size=100))
def test_no_text_is_taken_for_a_token(text: str) -> None:
    assert links.read(b"k" * 32, text) is None


def contact(quiet: dict[str, str] | None) -> Any:
    return SimpleNamespace(quiet_hours=quiet)


def at_sofia(text: str) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Europe/Sofia")).astimezone(UTC)


@pytest.mark.parametrize(
    ("now", "until"),
    [
        ("2026-12-07 23:10", "2026-12-08 07:00"),
        ("2026-12-08 06:59", "2026-12-08 07:00"),
        ("2026-12-08 07:00", None),
        ("2026-12-07 21:59", None),
        ("2027-03-28 01:00", "2027-03-28 07:00"),  # the night the clocks go forward
        ("2027-10-30 23:30", "2027-10-31 07:00"),  # and back
    ],
)
def test_quiet_hours_over_midnight_in_the_contacts_zone(now: str, until: str | None) -> None:
    quiet = contact({"start": "22:00", "end": "07:00", "time_zone": "Europe/Sofia"})
    assert quiet_until(quiet, at_sofia(now)) == (at_sofia(until) if until else None)


def test_quiet_hours_that_end_in_an_hour_the_clocks_skip_end_after_it() -> None:
    quiet = contact({"start": "01:00", "end": "03:30", "time_zone": "Europe/Sofia"})
    end = quiet_until(quiet, at_sofia("2027-03-28 02:00"))
    assert end == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 04:30 EEST: the first such minute after


@pytest.mark.parametrize(
    "junk", [None, {}, {"start": "x"}, {"start": "22:00", "end": "07:00", "time_zone": "Mars/Base"}]
)
def test_quiet_hours_the_api_never_wrote_are_none(junk: dict[str, str] | None) -> None:
    assert quiet_until(contact(junk), NOW) is None
