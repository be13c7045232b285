"""Notifications through real receivers: an HTTP server for webhooks, aiosmtpd for e-mail,
Mosquitto for MQTT. The clock is moved by hand and delivery rounds are run by the test."""

from __future__ import annotations

import email.policy
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import standardwebhooks
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from aedmon.clock import MovableClock
from aedmon.reading import TestResult
from server.app import create_app
from server.notify.webhook import signature
from server.settings import ServerSettings
from server.store.models import Notification

from .. import factories
from ..conftest import Mosquitto, Tokens, free_port, serve, wait_until

T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
SECRET = "a-webhook-secret-of-some-length"


class Webhook:
    """A real HTTP receiver on loopback; `failing` makes it answer 500."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.times: list[float] = []  # when each arrived (time.perf_counter)
        self.failing = False
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if hook.failing:
                    self.send_response(500)
                else:
                    hook.received.append((dict(self.headers), body))
                    hook.times.append(time.perf_counter())
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        serve(self.server)

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.server.shutdown()


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(T0)


@pytest.fixture
def settings(tmp_path: Path, tokens: Tokens, mailbox: tuple[Mailbox, int]) -> ServerSettings:
    return ServerSettings(
        database_url=f"sqlite:///{tmp_path / 'n.db'}",
        tokens=tokens.setting,
        webhook_secret=SECRET,
        smtp_host="127.0.0.1",
        smtp_port=mailbox[1],
        notify_group_window_s=5,
        public_url="https://aed.example.org/sofia/",
    )


@pytest.fixture
def api(settings: ServerSettings, clock: MovableClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock, background=False)) as client:
        yield client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def add_contact(api: TestClient, tokens: Tokens, **fields: Any) -> int:
    body = {"name": "Technician on call", **fields}
    response = api.post("/api/v1/contacts", json=body, headers=auth(tokens.admin))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def send_selftest(
    api: TestClient, tokens: Tokens, clock: MovableClock, seq: int, result: TestResult, **more: Any
) -> None:
    reading = factories.selftest(result, seq=seq, at=clock.now, **more)
    response = api.post(
        "/api/v1/ingest", json={"readings": [reading.model_dump(mode="json")]}, headers=auth(tokens.bridge)
    )
    assert response.status_code == 200


def deliver(api: TestClient) -> int:
    delivered: int = api.app.state.notifier.deliver_due()  # type: ignore[attr-defined]
    return delivered


def test_critical_alert_reaches_the_webhook_once_signed(
    api: TestClient, tokens: Tokens, clock: MovableClock, webhook: Webhook, settings: ServerSettings
) -> None:
    add_contact(api, tokens, webhook_url=webhook.url)
    send_selftest(api, tokens, clock, 1, TestResult.FAIL, codes=("C02",))
    assert deliver(api) == 1
    headers, body = webhook.received[0]
    assert headers["X-Aedmon-Signature"] == signature(SECRET, body)
    # a receiver verifies it with a Standard Webhooks library, as the README shows
    payload = standardwebhooks.Webhook(SECRET.encode()).verify(body, headers)
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 5
    assert headers["webhook-id"] == "msg_aedmon_" + headers["X-Aedmon-Delivery"]
    assert payload["site"] == "town-hall"
    assert [(a["device_id"], a["type"], a["purpose"]) for a in payload["alerts"]] == [
        ("SN1", "self_test_failed", "alert")
    ]
    assert payload["alerts"][0]["link"] == "https://aed.example.org/sofia/devices/SN1"
    assert "Self-test failed" in payload["subject"]
    assert "Page: https://aed.example.org/sofia/devices/SN1" in payload["text"]
    assert deliver(api) == 0
    # a restarted server on the same database sends nothing again
    with TestClient(create_app(settings, clock, background=False)) as restarted:
        assert deliver(restarted) == 0
    assert len(webhook.received) == 1
    sent = api.get("/api/v1/notifications", headers=auth(tokens.technician)).json()
    assert [(n["state"], n["channel"]) for n in sent] == [("sent", "webhook")]


def test_minor_alerts_of_a_site_within_the_window_go_out_as_one_message(
    api: TestClient, tokens: Tokens, clock: MovableClock, webhook: Webhook
) -> None:
    add_contact(api, tokens, webhook_url=webhook.url, min_severity="minor")
    send_selftest(api, tokens, clock, 1, TestResult.PASS, battery_pct=15, device="SN1")
    clock.now += timedelta(seconds=2)
    send_selftest(api, tokens, clock, 1, TestResult.PASS, battery_pct=12, device="SN2")
    assert deliver(api) == 0  # still inside the grouping window
    clock.now += timedelta(seconds=6)
    assert deliver(api) == 2
    assert len(webhook.received) == 1
    payload = webhook.payloads()[0]
    assert {a["device_id"] for a in payload["alerts"]} == {"SN1", "SN2"}
    assert payload["subject"] == "[aedmon] town-hall: 2 alerts"


def test_routing_by_site_and_least_severity(
    api: TestClient, tokens: Tokens, clock: MovableClock, webhook: Webhook
) -> None:
    other = Webhook()
    try:
        add_contact(api, tokens, webhook_url=webhook.url, sites=["town-hall"], min_severity="critical")
        add_contact(api, tokens, webhook_url=other.url, sites=["school"])
        send_selftest(api, tokens, clock, 1, TestResult.PASS, battery_pct=10)  # major, town hall
        send_selftest(api, tokens, clock, 1, TestResult.FAIL, codes=("C01",), device="SN9", site="school")
        clock.now += timedelta(seconds=10)
        deliver(api)
        assert webhook.received == []  # only criticals, and only at the town hall
        assert [a["device_id"] for p in other.payloads() for a in p["alerts"]] == ["SN9"]
    finally:
        other.server.shutdown()


def test_a_removed_contact_is_told_nothing_more_and_what_it_was_told_stays_on_record(
    api: TestClient, tokens: Tokens, clock: MovableClock, webhook: Webhook
) -> None:
    gone = add_contact(api, tokens, name="Left the job", webhook_url=webhook.url, min_severity="minor")
    send_selftest(api, tokens, clock, 1, TestResult.FAIL, codes=("C02",))  # critical: told at once
    assert deliver(api) == 1
    send_selftest(api, tokens, clock, 2, TestResult.PASS, battery_pct=10, device="SN2")  # major: waits 5 s
    assert api.delete(f"/api/v1/contacts/{gone}", headers=auth(tokens.technician)).status_code == 403
    removed = api.delete(f"/api/v1/contacts/{gone}", headers=auth(tokens.admin))
    assert removed.status_code == 200
    assert removed.json()["retired_at"] is not None
    clock.now += timedelta(seconds=10)
    assert deliver(api) == 0  # what was waiting is cancelled, not sent
    send_selftest(api, tokens, clock, 3, TestResult.FAIL, codes=("C02",), device="SN3")
    clock.now += timedelta(seconds=10)
    assert deliver(api) == 0  # and nothing new is planned for it
    assert len(webhook.received) == 1
    record = api.get("/api/v1/notifications", headers=auth(tokens.technician)).json()
    assert sorted((n["state"], n["last_error"]) for n in record) == [
        ("cancelled", "contact removed"),
        ("sent", None),
    ]
    listed = api.get("/api/v1/contacts", headers=auth(tokens.technician)).json()
    assert listed == []
    everyone = api.get("/api/v1/contacts", params={"removed": "true"}, headers=auth(tokens.technician))
    assert [c["name"] for c in everyone.json()] == ["Left the job"]
    change = {"name": "Back again", "webhook_url": webhook.url}
    assert api.put(f"/api/v1/contacts/{gone}", json=change, headers=auth(tokens.admin)).status_code == 409


def test_inside_a_silence_an_alert_is_recorded_but_not_notified(
    api: TestClient, tokens: Tokens, clock: MovableClock, webhook: Webhook
) -> None:
    add_contact(api, tokens, webhook_url=webhook.url)
    silence = {"site": "town-hall", "reason": "AED sent for repair", "ends_at": "2026-11-24T00:00:00Z"}
    assert api.post("/api/v1/silences", json=silence, headers=auth(tokens.technician)).status_code == 201
    send_selftest(api, tokens, clock, 1, TestResult.FAIL, codes=("C02",))
    assert deliver(api) == 0
    assert webhook.received == []
    alerts = api.get("/api/v1/alerts", params={"state": "open"}, headers=auth(tokens.viewer)).json()
    assert [a["type"] for a in alerts] == ["self_test_failed"]  # recorded
    states = [n["state"] for n in api.get("/api/v1/notifications", headers=auth(tokens.technician)).json()]
    assert states == ["silenced"]


def test_a_failing_webhook_falls_back_to_email_in_the_contacts_language(
    api: TestClient, tokens: Tokens, clock: MovableClock, webhook: Webhook, mailbox: tuple[Mailbox, int]
) -> None:
    add_contact(api, tokens, webhook_url=webhook.url, email="tech@example.org", language="bg")
    webhook.failing = True
    send_selftest(api, tokens, clock, 1, TestResult.FAIL, codes=("C02",))
    assert deliver(api) == 1
    box, _ = mailbox
    assert len(box.messages) == 1
    mail = box.messages[0]
    assert mail["To"] == "tech@example.org"
    assert "Неуспешен самотест" in mail["Subject"]
    text = mail.get_content()
    assert "Къде: SN1, town-hall\nСтраница: https://aed.example.org/sofia/devices/SN1\n" in text
    assert "Какво да направите:" in text
    sent = api.get("/api/v1/notifications", headers=auth(tokens.technician)).json()
    assert sent[0]["channel"] == "email"


def test_when_every_channel_fails_it_is_retried_with_backoff_until_one_works(
    api: TestClient, tokens: Tokens, clock: MovableClock, webhook: Webhook
) -> None:
    add_contact(api, tokens, webhook_url=webhook.url)
    webhook.failing = True
    send_selftest(api, tokens, clock, 1, TestResult.FAIL, codes=("C02",))
    assert deliver(api) == 0
    row = api.get("/api/v1/notifications", headers=auth(tokens.technician)).json()[0]
    assert (row["state"], row["attempts"]) == ("pending", 1)
    assert "webhook answered 500" in row["last_error"]
    webhook.failing = False
    assert deliver(api) == 0  # backing off: not due yet
    clock.now += timedelta(seconds=3)
    assert deliver(api) == 1
    assert len(webhook.received) == 1


def test_resolving_an_alert_is_told_too(
    api: TestClient, tokens: Tokens, clock: MovableClock, webhook: Webhook
) -> None:
    add_contact(api, tokens, webhook_url=webhook.url)
    send_selftest(api, tokens, clock, 1, TestResult.FAIL, codes=("C02",))
    deliver(api)
    clock.now += timedelta(minutes=1)
    send_selftest(api, tokens, clock, 2, TestResult.PASS)
    assert deliver(api) == 1
    assert webhook.payloads()[-1]["alerts"][0]["purpose"] == "resolved"


def test_alerts_are_published_on_mqtt(
    tmp_path: Path, tokens: Tokens, clock: MovableClock, mosquitto: Mosquitto
) -> None:
    received: list[mqtt.MQTTMessage] = []
    listener = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="listener")
    listener.on_message = lambda c, u, m: received.append(m)
    listener.connect("127.0.0.1", mosquitto.port)
    listener.subscribe("aedmon/v1/alerts/#", qos=1)
    listener.loop_start()
    settings = ServerSettings(
        database_url=f"sqlite:///{tmp_path / 'm.db'}", tokens=tokens.setting, notify_mqtt=mosquitto.url
    )
    try:
        with TestClient(create_app(settings, clock, background=False)) as api:
            add_contact(api, tokens, mqtt=True)
            send_selftest(api, tokens, clock, 1, TestResult.FAIL, codes=("C02",))
            assert deliver(api) == 1
            wait_until(lambda: received, what="the alert on MQTT")
    finally:
        listener.loop_stop()
        listener.disconnect()
    assert received[0].topic == "aedmon/v1/alerts/town-hall/SN1"
    assert json.loads(received[0].payload)["type"] == "self_test_failed"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "nobody"},  # no channel
        {"name": "x", "webhook_url": "ftp://x"},
        {"name": "x", "email": "not-an-address"},
        {"name": "x", "mqtt": True, "language": "fr"},
        {"name": "x", "mqtt": True, "min_severity": "urgent"},
        {"name": "x", "mqtt": True, "sites": ["bad site"]},
    ],
)
def test_bad_contacts_are_refused(api: TestClient, tokens: Tokens, body: dict[str, Any]) -> None:
    assert api.post("/api/v1/contacts", json=body, headers=auth(tokens.admin)).status_code == 422
    assert (
        api.post(
            "/api/v1/contacts", json={"name": "x", "mqtt": True}, headers=auth(tokens.technician)
        ).status_code
        == 403
    )
    assert api.get("/api/v1/contacts", headers=auth(tokens.technician)).json() == []


def run_job(api: TestClient, job: str, **kwargs: Any) -> int:
    from server.notify import planning

    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        count: int = getattr(planning, job)(session, api.app.state.clock(), **kwargs)  # type: ignore[attr-defined]
    return count


def test_unacknowledged_critical_is_sent_again_then_escalated_once(
    api: TestClient, tokens: Tokens, clock: MovableClock, webhook: Webhook
) -> None:
    boss = Webhook()
    try:
        add_contact(api, tokens, webhook_url=webhook.url)
        add_contact(api, tokens, name="Programme manager", webhook_url=boss.url, min_severity="critical",
                    escalation=True, sites=["town-hall"])  # fmt: skip
        send_selftest(api, tokens, clock, 1, TestResult.FAIL, codes=("C02",))
        deliver(api)
        assert len(webhook.received) == 1
        assert len(boss.received) == 1  # routed to both as a critical alert
        after = timedelta(minutes=15)
        clock.now += timedelta(minutes=10)
        run_job(api, "plan_escalations", after=after)
        assert deliver(api) == 0
        clock.now += timedelta(minutes=6)
        run_job(api, "plan_escalations", after=after)
        deliver(api)
        assert [a["purpose"] for p in webhook.payloads() for a in p["alerts"]] == ["alert", "reminder"]
        assert "Reminder, not acknowledged yet" in webhook.payloads()[1]["text"]
        clock.now += timedelta(minutes=15)
        run_job(api, "plan_escalations", after=after)
        run_job(api, "plan_escalations", after=after)  # again: nothing new
        deliver(api)
        assert [a["purpose"] for p in boss.payloads() for a in p["alerts"]] == [
            "alert",
            "reminder",
            "escalation",
        ]
        assert "Escalated" in boss.payloads()[-1]["text"]
        assert len(webhook.received) == 2  # the escalation went to the escalation contact only
    finally:
        boss.server.shutdown()


def test_an_acknowledged_alert_is_not_escalated(
    api: TestClient, tokens: Tokens, clock: MovableClock, webhook: Webhook
) -> None:
    add_contact(api, tokens, webhook_url=webhook.url, escalation=True)
    send_selftest(api, tokens, clock, 1, TestResult.FAIL, codes=("C02",))
    deliver(api)
    alert = api.get("/api/v1/alerts", params={"state": "open"}, headers=auth(tokens.viewer)).json()[0]
    api.post(f"/api/v1/alerts/{alert['id']}/ack", headers=auth(tokens.technician))
    clock.now += timedelta(hours=2)
    assert run_job(api, "plan_escalations", after=timedelta(minutes=15)) == 0
    assert deliver(api) == 0


def test_each_sites_digest_goes_at_its_own_local_hour(
    api: TestClient, tokens: Tokens, clock: MovableClock, webhook: Webhook
) -> None:
    """07:00 in Sofia is 05:00 UTC, in Prague 06:00 UTC; a site that names no zone keeps the
    installation's (UTC here). Each site's day is its own local date."""
    add_contact(api, tokens, webhook_url=webhook.url)
    for site, zone in (("sofia-school", "Europe/Sofia"), ("prague-hall", "Europe/Prague")):
        send_selftest(api, tokens, clock, 1, TestResult.PASS, device=f"{site}-aed", site=site)
        answer = api.patch(f"/api/v1/sites/{site}", json={"time_zone": zone}, headers=auth(tokens.admin))
        assert answer.status_code == 200, answer.text
    send_selftest(api, tokens, clock, 1, TestResult.PASS, device="SN9", site="utc-depot")
    planned = {}
    for hour_utc in (4, 5, 6, 7):
        clock.now = T0.replace(hour=hour_utc, minute=1)
        planned[hour_utc] = run_job(api, "plan_digests", hour=7, default_zone="UTC")
    assert planned == {4: 0, 5: 1, 6: 1, 7: 1}  # Sofia at 05:01, Prague at 06:01, the depot at 07:01
    clock.now = T0.replace(hour=22, minute=30)  # 00:30 of the next day in Sofia: its next day's digest
    assert run_job(api, "plan_digests", hour=0, default_zone="UTC") == 1


def test_daily_digest_once_per_site_and_day(
    api: TestClient, tokens: Tokens, clock: MovableClock, webhook: Webhook, settings: ServerSettings
) -> None:
    add_contact(api, tokens, webhook_url=webhook.url, language="uk")
    send_selftest(api, tokens, clock, 1, TestResult.FAIL, codes=("C02",))
    send_selftest(api, tokens, clock, 1, TestResult.PASS, device="SN2", site="school")
    deliver(api)
    assert run_job(api, "plan_digests", hour=7) == 0  # 06:00: not yet
    clock.now = T0 + timedelta(hours=1, minutes=5)
    assert run_job(api, "plan_digests", hour=7) == 2
    with TestClient(create_app(settings, clock, background=False)) as restarted:
        assert run_job(restarted, "plan_digests", hour=7) == 0  # a restart does not send it twice
    deliver(api)
    digests = [p for p in webhook.payloads() if p["purpose"] == "digest"]
    assert len(digests) == 2
    by_site = {p["site"]: p for p in digests}
    assert "Щоденний звіт 23 лист. 2026\u202fр." in by_site["town-hall"]["subject"]
    assert [a["type"] for a in by_site["town-hall"]["alerts"]] == ["self_test_failed"]
    assert "Немає відкритих сповіщень" in by_site["school"]["text"]


def test_the_sites_own_people_are_told_before_those_of_every_site(
    api: TestClient, tokens: Tokens, clock: MovableClock, webhook: Webhook
) -> None:
    staff = Webhook()
    try:
        add_contact(api, tokens, name="Duty officer for all sites", webhook_url=webhook.url)
        add_contact(api, tokens, name="Town hall reception", webhook_url=staff.url, sites=["town-hall"])
        send_selftest(api, tokens, clock, 1, TestResult.FAIL, codes=("C02",))
        assert deliver(api) == 2
        assert len(staff.received) == 1
        assert len(webhook.received) == 1
        assert staff.times[0] < webhook.times[0]
    finally:
        staff.server.shutdown()


def test_a_captured_webhook_cannot_be_replayed_or_altered(
    api: TestClient, tokens: Tokens, clock: MovableClock, webhook: Webhook
) -> None:
    add_contact(api, tokens, webhook_url=webhook.url)
    send_selftest(api, tokens, clock, 1, TestResult.FAIL, codes=("C02",))
    deliver(api)
    headers, body = webhook.received[0]
    receiver = standardwebhooks.Webhook(SECRET.encode())
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        receiver.verify(body.replace(b"SN1", b"SN2"), headers)
    replayed = {**headers, "webhook-timestamp": str(int(time.time()) - 3600)}
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        receiver.verify(body, replayed)


def claimed_and_abandoned(api: TestClient, clock: MovableClock) -> None:
    """As a server does that claims the due rows and dies before it sends them."""
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        for row in session.scalars(select(Notification).where(Notification.state == "pending")):
            row.state, row.due_at = "sending", clock.now
        session.commit()


def test_an_interrupted_critical_notification_is_sent_again_within_10_s(
    api: TestClient, tokens: Tokens, clock: MovableClock, webhook: Webhook
) -> None:
    add_contact(api, tokens, webhook_url=webhook.url)
    send_selftest(api, tokens, clock, 1, TestResult.FAIL, codes=("C02",))
    claimed_and_abandoned(api, clock)
    clock.now += timedelta(seconds=5)
    assert deliver(api) == 0  # its sender may still be at it
    clock.now += timedelta(seconds=4)
    assert deliver(api) == 1
    assert [p["alerts"][0]["type"] for p in webhook.payloads()] == ["self_test_failed"]


def test_an_interrupted_minor_notification_waits_out_the_minute_lease(
    api: TestClient, tokens: Tokens, clock: MovableClock, webhook: Webhook
) -> None:
    add_contact(api, tokens, webhook_url=webhook.url, min_severity="minor")
    send_selftest(api, tokens, clock, 1, TestResult.PASS, battery_pct=15)
    clock.now += timedelta(seconds=6)
    claimed_and_abandoned(api, clock)
    clock.now += timedelta(seconds=30)
    assert deliver(api) == 0
    clock.now += timedelta(seconds=31)
    assert deliver(api) == 1


def test_an_invitation_is_e_mailed_in_the_persons_language_when_smtp_is_set(
    api: TestClient, tokens: Tokens, mailbox: tuple[Mailbox, int]
) -> None:
    body = {
        "email": "Ivana@School.bg",
        "name": "Ivana",
        "role": "staff",
        "sites": ["town-hall"],
        "language": "bg",
    }
    invited = api.post("/api/v1/users", json=body, headers=auth(tokens.admin))
    assert invited.status_code == 201, invited.text
    assert invited.json()["emailed"] is True
    box, _ = mailbox
    assert len(box.messages) == 1
    mail = box.messages[0]
    assert mail["To"] == "ivana@school.bg"
    assert mail["Subject"] == "Покана за aedmon"
    text = mail.get_content()
    assert text.startswith("Ivana,\n\nadmin ви кани в aedmon")
    assert f"\nhttps://aed.example.org/sofia/invite#token={invited.json()['invite_token']}\n" in text


def test_an_invitation_the_mail_server_refuses_still_gives_the_admin_the_link(
    tmp_path: Path, tokens: Tokens, clock: MovableClock
) -> None:
    settings = ServerSettings(
        database_url=f"sqlite:///{tmp_path / 'n.db'}", tokens=tokens.setting, webhook_secret=SECRET,
        smtp_host="127.0.0.1", smtp_port=free_port(),  # nothing listens there
    )  # fmt: skip
    with TestClient(create_app(settings, clock, background=False)) as api:
        body = {"email": "petar@school.bg", "name": "Petar", "role": "staff", "language": "en"}
        invited = api.post("/api/v1/users", json=body, headers=auth(tokens.admin))
    assert invited.status_code == 201
    assert invited.json()["invite_url"].startswith("http://testserver/invite#token=")
