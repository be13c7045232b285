"""Notification texts: every alert type in every language, from the catalogues; one message
per site and batch; no English left in bg, uk or cs."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest

from server.i18n import LANGUAGES, Words, catalogue
from server.notify.messages import Item, render, render_digest
from server.notify.webhook import signature
from server.rules.alerting import RULES
from server.rules.findings import AlertType, Phrase, Severity
from server.store.models import Purpose

from .catalogues import english_sentences

PADS_EXPIRED = Phrase("detail.pads_expired.by_date", {"expiry_on": date(2026, 11, 1)})


def item(
    alert_type: AlertType = AlertType.PADS_EXPIRED,
    purpose: Purpose = Purpose.ALERT,
    device: str = "SN1",
    detail: Phrase = PADS_EXPIRED,
) -> Item:
    return Item(
        alert_id=1,
        purpose=purpose,
        type=alert_type,
        severity=Severity.CRITICAL,
        device_id=device,
        device_name="Reception AED",
        place="Ground floor, by the lift",
        detail=detail,
        at=datetime(2026, 11, 23, 7, 0, tzinfo=UTC),
    )


def render_in(language: str, items: list[Item]) -> str:
    message = render(Words(language), "town-hall", items)
    return message.subject + "\n" + message.text


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_alert_type_has_words_and_an_action_in_every_language(language: str) -> None:
    assert set(RULES) <= set(AlertType)
    words = Words(language)
    for alert_type in AlertType:
        for key in (f"reason.{alert_type}", f"todo.{alert_type}"):
            assert words(key) != key, f"{language} has no {key}"


@pytest.mark.parametrize(
    ("language", "what", "where"),
    [
        ("en", "Pads expired", "Where"),
        ("bg", "Изтекли електроди", "Къде"),
        ("uk", "Термін придатності електродів минув", "Де"),
        ("cs", "Elektrody jsou prošlé", "Kde"),
    ],
)
def test_a_message_says_which_device_where_what_and_what_to_do(language: str, what: str, where: str) -> None:
    words = Words(language)
    message = render(words, "town-hall", [item()])
    assert what in message.subject
    assert "SN1" in message.subject
    assert f"{where}: Reception AED (SN1), Ground floor, by the lift, town-hall" in message.text
    assert words("todo.pads_expired") in message.text
    assert words.phrase(PADS_EXPIRED) in message.text


def test_the_english_detail_says_the_date_as_english_writes_it() -> None:
    assert "Pads expired on Nov 1, 2026; replace them." in render_in("en", [item()])


def test_several_alerts_of_a_site_are_one_message() -> None:
    message = render(Words("en"), "town-hall", [item(), item(AlertType.BATTERY_LOW, device="SN2")])
    assert message.subject == "[aedmon] town-hall: 2 alerts"
    assert "Pads expired" in message.text
    assert "Battery low" in message.text


@pytest.mark.parametrize(
    ("language", "said"), [("en", "1 alert"), ("uk", "3 сповіщення"), ("cs", "5 upozornění")]
)
def test_the_count_of_alerts_takes_the_plural_form(language: str, said: str) -> None:
    count = int(said.split()[0])
    message = render(Words(language), "town-hall", [item(device=f"SN{n}") for n in range(max(count, 2))])
    if count >= 2:
        assert message.subject.endswith(said)
    assert Words(language)("notice.n_alerts", n=count) == said


def test_a_resolved_alert_says_so() -> None:
    message = render(Words("cs"), "town-hall", [item(purpose=Purpose.RESOLVED)])
    assert message.subject.startswith("[aedmon] town-hall: Vyřešeno: Elektrody jsou prošlé")


def test_unknown_language_falls_back_to_english() -> None:
    assert "Pads expired" in render(Words("xx"), "s", [item()]).subject


@pytest.mark.parametrize("language", sorted(set(LANGUAGES) - {"en"}))
@pytest.mark.parametrize("purpose", [Purpose.ALERT, Purpose.RESOLVED, Purpose.REMINDER, Purpose.ESCALATION])
def test_no_notification_in_another_language_holds_an_english_sentence(
    language: str, purpose: Purpose
) -> None:
    details = [m.id for m in catalogue("en") if isinstance(m.id, str) and m.id.startswith("detail.")]
    params = {"at": datetime(2026, 11, 23, 7, 0, tzinfo=UTC), "n": 3, "codes": ("P02", "B01")}
    items = []
    for number, detail in enumerate(details):
        # detail.as_recorded (an alert from before words by key) belongs to no one type
        alert_type = next((t for t in AlertType if detail.startswith(f"detail.{t}")), AlertType.PADS_EXPIRED)
        phrase = Phrase(detail, {**params, "reports": ({"text": "x", "contact": "y"},)})
        items.append(item(alert_type, purpose, f"SN{number}", phrase))
    said = (
        render_in(language, items)
        + render_digest(Words(language), "town-hall", date(2026, 11, 23), 3, items).text
    )
    leaked = [sentence for sentence in english_sentences() if sentence in said]
    assert leaked == []


def test_webhook_signature_is_hmac_sha256_of_the_body() -> None:
    # RFC 4231 test case 2
    assert signature("Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_a_whsec_secret_signs_with_the_bytes_it_encodes_as_the_specification_says() -> None:
    import base64

    import standardwebhooks

    from server.notify.webhook import signing_key, standard_signature

    key = b"\x01\x02 not text \xff"
    secret = "whsec_" + base64.b64encode(key).decode()
    assert signing_key(secret) == key
    assert signing_key("a-plain-secret-of-ours") == b"a-plain-secret-of-ours"
    stamp = datetime.now(UTC)
    expected = standardwebhooks.Webhook(secret).sign("msg_1", stamp, '{"a":1}')
    assert standard_signature(key, "msg_1", int(stamp.timestamp()), b'{"a":1}') == expected


# --- one clock: each time a notification says is the API's instant in the site's zone ----------

INSTANT = datetime(2026, 7, 14, 10, 55, tzinfo=UTC)  # 13:55 in Sofia (summer), 12:55 in Prague
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def filled(message_id: str) -> Phrase:
    """The phrase with each parameter its catalogue asks for: every moment the one instant."""
    english = catalogue("en").get(message_id)
    assert english is not None, message_id
    said = english.string if isinstance(english.string, str) else english.string[0]
    params: dict[str, Any] = {}
    for name in PLACEHOLDER.findall(said):
        if name == "at" or name.endswith("_at"):
            params[name] = INSTANT
        elif name.endswith("_on"):
            params[name] = date(2026, 7, 20)
        elif name.endswith("_s"):
            params[name] = 3600.0
        elif name == "codes":
            params[name] = ("C02",)
        else:
            params[name] = 3
    return Phrase(message_id, params)


TIMED = sorted(
    str(message.id)
    for message in catalogue("en")
    if isinstance(message.id, str) and message.id.startswith("detail.")
    and any(name == "at" or name.endswith("_at") for name in PLACEHOLDER.findall(str(message.string)))
)  # fmt: skip


def test_there_are_timed_details_to_check() -> None:
    assert len(TIMED) >= 5  # self-tests, relocation, a rescue, a shift, a door…


@pytest.mark.parametrize("message_id", TIMED)
@pytest.mark.parametrize(("language", "zone", "local"), [
    ("bg", "Europe/Sofia", "13:55"), ("uk", "Europe/Kyiv", "13:55"), ("cs", "Europe/Prague", "12:55"),
    ("en", "Europe/Sofia", "13:55"),
])  # fmt: skip
def test_every_time_a_notification_says_is_the_apis_instant_in_the_sites_zone(
    message_id: str, language: str, zone: str, local: str
) -> None:
    kind = message_id.split(".")[1]
    alert_type = AlertType(kind) if kind in set(AlertType) else AlertType.SELF_TEST_FAILED
    told = Item(
        alert_id=1, purpose=Purpose.ESCALATION, type=alert_type, severity=Severity.CRITICAL, device_id="SN1",
        device_name="AED", place="", detail=filled(message_id), at=INSTANT, told=(("Maria", "sms", INSTANT),),
    )  # fmt: skip
    words = Words(language, zone)
    message = render(words, "town-hall", [told])
    for text in (message.text, message.sms):  # e-mail, MQTT and chat take the text; SMS its own
        assert "10:55" not in text, text  # never the UTC clock
    said = words.phrase(told.detail)
    assert local in said, said
    assert local in message.text
    assert message.text.count(local) >= 2  # the detail's moment and when Maria was told
