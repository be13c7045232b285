"""Notification texts: every alert type in every language; one message per site and batch."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.notify.messages import FRAME, LANGUAGES, TEXTS, Item, render
from server.notify.webhook import signature
from server.rules.alerting import RULES
from server.rules.findings import AlertType


def item(alert_type: AlertType = AlertType.PADS_EXPIRED, purpose: str = "alert", device: str = "SN1") -> Item:
    return Item(
        alert_id=1,
        purpose=purpose,
        type=alert_type,
        severity="critical",
        device_id=device,
        device_name="Reception AED",
        place="Ground floor, by the lift",
        detail="Pads expired on 2026-11-01; replace them.",
        at=datetime(2026, 11, 23, 7, 0, tzinfo=UTC),
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_alert_type_has_words_and_an_action_in_every_language(language: str) -> None:
    assert set(TEXTS[language]) == set(AlertType)
    assert set(RULES) <= set(AlertType)
    for what, todo in TEXTS[language].values():
        assert what.strip()
        assert todo.strip()
    assert set(FRAME[language]) == set(FRAME["en"])


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
    message = render(language, "town-hall", [item()])
    assert what in message.subject
    assert "SN1" in message.subject
    assert f"{where}: Reception AED (SN1), Ground floor, by the lift, town-hall" in message.text
    assert TEXTS[language][AlertType.PADS_EXPIRED][1] in message.text
    assert "Pads expired on 2026-11-01" in message.text


def test_several_alerts_of_a_site_are_one_message() -> None:
    message = render("en", "town-hall", [item(), item(AlertType.BATTERY_LOW, device="SN2")])
    assert message.subject == "[aedmon] town-hall: 2 alerts"
    assert "Pads expired" in message.text
    assert "Battery low" in message.text


def test_a_resolved_alert_says_so() -> None:
    message = render("cs", "town-hall", [item(purpose="resolved")])
    assert message.subject.startswith("[aedmon] town-hall: Vyřešeno: Elektrody jsou prošlé")


def test_unknown_language_falls_back_to_english() -> None:
    assert "Pads expired" in render("xx", "s", [item()]).subject


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
