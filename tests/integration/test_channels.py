"""Channels through Apprise against real receivers on loopback, on SQLite and PostgreSQL: a
JSON and a form webhook, ntfy, Gotify, Signal's REST API, SMSEagle (each an HTTP server that
answers as the service does) and e-mail through aiosmtpd. Also: a hung, a failing and a
refusing service falling back within the deadline; the one-tap take link against replay,
alteration, expiry, resolution and removal; quiet hours; and no secret anywhere."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from aedmon.clock import MovableClock
from aedmon.reading import TestResult
from server.app import create_app
from server.settings import ServerSettings

from .. import factories
from ..conftest import Tokens, free_port, serve
from .test_notifications import Mailbox, auth, deliver

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
DEADLINE_S = 4.0  # Matrix alone takes 1.5 s: Apprise paces its requests half a second apart
SECRETS = {
    "hook": "hook-pw-7f3a9c1e5b",
    "ntfy": "ntfy-pw-2d8e6b4f0a",
    "signal": "signal-pw-9b1c7e3d5f",
    "sms": "smseagle-token-4e6a8c0b2d",
    "broken": "broken-pw-1a3c5e7b9d",
    "hung": "hung-pw-8d6b4f2a0c",
    "refusing": "refusing-pw-5c7e9a1b3d",
    "matrix": "matrix-pw-6a2c4e8b0d",
    "link": "a-link-key-shared-by-every-server-0123456789",
}


@dataclass
class Receiver:
    """An HTTP server on loopback that answers as the services do: `mode` ok, fail (500),
    refuse (401) or hang (answers nothing for 30 s)."""

    mode: str = "ok"
    got: list[tuple[str, bytes, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.mode == "hang":
                    time.sleep(30)
                    return
                if receiver.mode in ("fail", "refuse"):
                    self.send_response(500 if receiver.mode == "fail" else 401)
                    self.end_headers()
                    return
                receiver.got.append((self.path, body, time.perf_counter()))
                answer = b'{"result":[{"message_id":"1","status":"ok"}]}' if "jsonrpc" in self.path else b"{}"
                self.send_response(201 if self.path.startswith("/v2/send") else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        serve(self.server)

    def texts(self) -> list[str]:
        """What each request carried, as text (JSON and forms unquoted)."""
        said = []
        for _, body, _ in self.got:
            try:
                said.append(json.dumps(json.loads(body), ensure_ascii=False))
            except ValueError:
                from urllib.parse import unquote_plus

                said.append(unquote_plus(body.decode()))
        return said


class Matrix:
    """A Matrix homeserver's client-server API, as much of it as a bot that signs in, joins a
    room and says something uses."""

    def __init__(self) -> None:
        self.said: list[tuple[str, dict[str, Any]]] = []
        homeserver = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.split("?")[0]
                if path.endswith("/login"):
                    out: dict[str, Any] = {"access_token": "t", "user_id": "@bot:127.0.0.1", "device_id": "D"}
                elif "/join/" in path:
                    out = {"room_id": "!room1:127.0.0.1"}
                elif "/send/m.room.message/" in path:
                    homeserver.said.append((path, json.loads(body)))
                    out = {"event_id": "$1"}
                elif path.endswith(("/logout", "/joined_rooms")):
                    out = {"joined_rooms": []}
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(out).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = answer  # noqa: N815  (http.server's names)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        serve(self.server)


@dataclass
class Services:
    ok: Receiver
    broken: Receiver
    hung: Receiver
    refusing: Receiver
    mailbox: Mailbox
    matrix: Matrix
    file: Path


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    ok, broken, hung, refusing = Receiver(), Receiver("fail"), Receiver("hang"), Receiver("refuse")
    box, smtp, matrix = Mailbox(), free_port(), Matrix()
    controller = Controller(box, hostname="127.0.0.1", port=smtp)
    controller.start()
    s = SECRETS
    text = f"""
[services.hook]
url = "json://hookuser:{s["hook"]}@127.0.0.1:{ok.port}/hooks/{{address}}"
[services.form]
url = "form://127.0.0.1:{ok.port}/forms/{{address}}"
[services.ntfy]
url = "ntfy://ntfyuser:{s["ntfy"]}@127.0.0.1:{ok.port}/{{address}}"
[services.gotify]
url = "gotify://127.0.0.1:{ok.port}/{{address}}"
[services.signal]
url = "signal://signaluser:{s["signal"]}@127.0.0.1:{ok.port}/%2B15550000000/{{address}}"
[services.sms]
url = "smseagle://{s["sms"]}@127.0.0.1:{ok.port}/{{address}}"
[services.mail]
url = "mailto://127.0.0.1:{smtp}?to={{address}}&from=aed@example.org"
[services.matrix]
url = "matrix://bot:{s["matrix"]}@127.0.0.1:{matrix.server.server_port}/{{address}}?discovery=no"
[services.htmlchat]
url = "json://127.0.0.1:{ok.port}/html/{{address}}?format=html"
shape = "chat"
[services.broken]
url = "json://brokenuser:{s["broken"]}@127.0.0.1:{broken.port}/{{address}}"
[services.hung]
# Apprise's own read timeout (4 s) would race the notifier's deadline: rto lets the deadline act
url = "json://hunguser:{s["hung"]}@127.0.0.1:{hung.port}/{{address}}?rto=30"
[services.refusing]
url = "ntfy://refuser:{s["refusing"]}@127.0.0.1:{refusing.port}/{{address}}"
"""
    path = tmp_path / "channels.toml"
    path.write_text(text, encoding="utf-8")
    yield Services(ok, broken, hung, refusing, box, matrix, path)
    controller.stop()
    matrix.server.shutdown()
    for receiver in (ok, broken, hung, refusing):
        receiver.server.shutdown()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(T0)


@pytest.fixture
def settings(tmp_path: Path, database_url: str, tokens: Tokens, services: Services) -> ServerSettings:
    key = tmp_path / "link.key"
    key.write_text(SECRETS["link"])
    return ServerSettings(
        database_url=database_url,
        tokens=tokens.setting,
        channels_file=services.file,
        link_secret_file=key,
        notify_group_window_s=5,
        notify_deadline_s=DEADLINE_S,
        public_url="https://aed.pernik.bg",
        time_zone="Europe/Sofia",
    )


@pytest.fixture
def api(settings: ServerSettings, clock: MovableClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock, background=False)) as client:
        yield client


def add_contact(api: TestClient, tokens: Tokens, **fields: Any) -> int:
    body = {"name": "Ivan Petrov", "language": "bg", **fields}
    response = api.post("/api/v1/contacts", json=body, headers=auth(tokens.admin))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def fail(api: TestClient, tokens: Tokens, clock: MovableClock, seq: int = 1, device: str = "SN1") -> None:
    reading = factories.selftest(TestResult.FAIL, seq=seq, at=clock.now, codes=("C02",), device=device)
    response = api.post(
        "/api/v1/ingest", json={"readings": [factories.as_json(reading)]}, headers=auth(tokens.bridge)
    )
    assert response.status_code == 200


def notifications(api: TestClient, tokens: Tokens) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.get("/api/v1/notifications", headers=auth(tokens.technician)).json()
    return found


FAMILIES = [
    ("hook", "aed-team", "/hooks/aed-team"),
    ("form", "aed-team", "/forms/aed-team"),
    ("ntfy", "aed_pernik", '"topic": "aed_pernik"'),
    ("gotify", "AppTokenX1", "/message"),
    ("signal", "+359888123456", '"recipients": ["+359888123456"]'),
    ("sms", "+359888123456", '"to": "+359888123456"'),
]


@pytest.mark.parametrize(("service", "address", "where"), FAMILIES)
def test_each_family_is_told_through_a_real_receiver_with_its_take_link(
    api: TestClient,
    tokens: Tokens,
    clock: MovableClock,
    services: Services,
    service: str,
    address: str,
    where: str,
) -> None:
    add_contact(api, tokens, channels=[{"service": service, "address": address}])
    fail(api, tokens, clock)
    assert deliver(api) == 1
    assert len(services.ok.got) == 1
    path, _, _ = services.ok.got[0]
    said = services.ok.texts()[0]
    assert where in path or where in said
    assert "Неуспешен самотест" in said  # in the contact's language
    assert "aed.pernik.bg/t/" in said  # one tap to take it
    told = notifications(api, tokens)
    assert [(n["state"], n["channel"]) for n in told] == [("sent", service)]
    assert [(t["channel"], t["error"]) for t in told[0]["tries"]] == [(service, None)]
    assert deliver(api) == 0  # told once


def test_a_matrix_room_is_told_through_a_homeserver(
    api: TestClient, tokens: Tokens, clock: MovableClock, services: Services
) -> None:
    add_contact(api, tokens, channels=[{"service": "matrix", "address": "#aed-pernik:127.0.0.1"}])
    fail(api, tokens, clock)
    assert deliver(api) == 1, notifications(api, tokens)[0]["tries"]
    ((path, said),) = services.matrix.said
    assert path.startswith("/_matrix/client/v3/rooms/%21room1%3A127.0.0.1/send/m.room.message/")
    assert "Неуспешен самотест" in said["body"]
    assert "aed.pernik.bg/t/" in said["body"]


def test_an_sms_is_one_message_without_a_title_and_the_mail_has_one(
    api: TestClient, tokens: Tokens, clock: MovableClock, services: Services
) -> None:
    add_contact(api, tokens, channels=[{"service": "sms", "address": "+359888123456"}])
    add_contact(api, tokens, language="uk", channels=[{"service": "mail", "address": "olena@example.org"}])
    fail(api, tokens, clock)
    assert deliver(api) == 2
    sms = json.loads(services.ok.got[0][1])["params"]["message"]
    assert sms.startswith("Неуспешен самотест\naed.pernik.bg/t/")
    assert "[aedmon]" not in sms
    (mail,) = services.mailbox.messages
    assert mail["To"] == "olena@example.org"
    assert "Самотест не пройдено" in mail["Subject"]
    assert "https://aed.pernik.bg/t/" in mail.get_content()


def test_a_hung_failing_or_refusing_service_falls_back_and_holds_nobody_else(
    api: TestClient, tokens: Tokens, clock: MovableClock, services: Services
) -> None:
    channels = [{"service": name, "address": "aed-team"} for name in ("hung", "broken", "refusing", "hook")]
    add_contact(api, tokens, name="Caretaker", channels=channels)
    add_contact(api, tokens, name="Technician", channels=[{"service": "form", "address": "other"}])
    fail(api, tokens, clock)
    started = time.perf_counter()
    assert deliver(api) == 2
    by_path = {path: at for path, _, at in services.ok.got}
    assert by_path["/forms/other"] - started < DEADLINE_S  # told before the hung service's deadline passed
    assert by_path["/hooks/aed-team"] - started >= DEADLINE_S  # told after it, on the next channel
    told = {n["channel"]: n for n in notifications(api, tokens)}
    tries = [(t["channel"], t["error"]) for t in told["hook"]["tries"]]
    assert [name for name, _ in tries] == ["hung", "broken", "refusing", "hook"]
    assert tries[0][1] == f"no answer within {DEADLINE_S:g} s"
    assert "500" in tries[1][1]
    assert tries[2][1]  # refused
    assert tries[3][1] is None
    metrics = api.get("/metrics/").text
    assert 'aedmon_server_notification_attempts_total{channel="hung",outcome="failed"}' in metrics


def test_a_chat_that_reads_html_gets_a_device_name_literal(
    api: TestClient, tokens: Tokens, clock: MovableClock, services: Services
) -> None:
    """As Telegram reads HTML: Apprise escapes the text, so `*_<b>[x](y)` is shown as typed."""
    device = factories.device("SN1", name="*AED*_<b>[1](x)", place="Фоайе")
    assert api.post("/api/v1/devices", json=device, headers=auth(tokens.admin)).status_code == 201
    add_contact(api, tokens, channels=[{"service": "htmlchat", "address": "team"}])
    fail(api, tokens, clock)
    assert deliver(api) == 1
    sent = json.loads(services.ok.got[0][1])
    assert "&lt;b&gt;" in sent["message"]
    assert "<b>" not in sent["message"]
    assert not sent["title"].startswith("[aedmon]")


HOSTILE_CONTACTS = [
    {"channels": [{"service": "nosuch", "address": "x"}]},
    {"channels": [{"service": "sms", "address": "+359888123456@evil.example.com"}]},
    {"channels": [{"service": "sms", "address": "0888123456"}]},
    {"channels": [{"service": "hook", "address": "a/../../admin"}]},
    {"channels": [{"service": "hook", "address": "a?x=1"}]},
    {"channels": [{"service": "hook", "address": 5}]},
    {"channels": [{"service": "hook", "address": "x" * 400}]},
    {"channels": [{"service": "hook", "address": "aed"}] * 2},
    {"channels": [{"service": "hook", "address": f"a{n}"} for n in range(11)]},
    {"channels": [{"service": "HOOK", "address": "aed"}]},
    {"channels": [{"service": "hook"}]},
    {"channels": "hook:aed"},
    {"channels": [{"service": "hook", "address": "aed", "url": "json://evil"}]},
    {"channels": [], "email": None},
    {"email": "a@b.c", "quiet_hours": {"start": "22:00", "end": "22:00", "time_zone": "Europe/Sofia"}},
    {"email": "a@b.c", "quiet_hours": {"start": "25:00", "end": "07:00", "time_zone": "Europe/Sofia"}},
    {"email": "a@b.c", "quiet_hours": {"start": "22:00", "end": "07:00", "time_zone": "Mars/Base"}},
    {"email": "a@b.c", "paused_until": "2026-02-30"},
    {"email": "a@b.c", "paused_until": "99999-01-01"},
]


@pytest.mark.parametrize("body", HOSTILE_CONTACTS)
def test_a_contact_with_a_service_or_address_that_cannot_be_is_a_422(
    api: TestClient, tokens: Tokens, body: dict[str, Any]
) -> None:
    response = api.post("/api/v1/contacts", json={"name": "X", **body}, headers=auth(tokens.admin))
    assert response.status_code == 422, response.text
    assert api.get("/api/v1/contacts", headers=auth(tokens.admin)).json() == []


def the_alert(api: TestClient, tokens: Tokens) -> dict[str, Any]:
    query = "state=open&state=acknowledged&state=resolved"
    (alert,) = api.get(f"/api/v1/alerts?{query}", headers=auth(tokens.technician)).json()
    return dict(alert)


def take_link(said: str) -> str:
    found = re.search(r"aed\.pernik\.bg(/t/[A-Za-z0-9_-]+)", said)
    assert found, said
    return found[1]


def form_of(page: str) -> str:
    found = re.search(r'name="form" value="([0-9a-f]+)"', page)
    assert found, page
    return found[1]


def test_one_tap_takes_the_alert_in_the_contacts_name_once(
    api: TestClient, tokens: Tokens, clock: MovableClock, services: Services
) -> None:
    add_contact(api, tokens, channels=[{"service": "hook", "address": "ivan"}])
    add_contact(api, tokens, name="Olena", language="uk", channels=[{"service": "form", "address": "olena"}])
    fail(api, tokens, clock)
    deliver(api)
    texts = {path: text for (path, _, _), text in zip(services.ok.got, services.ok.texts(), strict=True)}
    ivan, olena = take_link(texts["/hooks/ivan"]), take_link(texts["/forms/olena"])
    assert ivan != olena
    # a chat app's link preview (a GET) changes nothing
    page = api.get(ivan, headers={"User-Agent": "TelegramBot (like TwitterBot)"})
    assert page.status_code == 200
    assert "Поемам го" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    (alert,) = api.get("/api/v1/alerts", headers=auth(tokens.technician)).json()
    assert alert["state"] == "open"
    # a post without the page's own form token changes nothing
    assert api.post(ivan, data={"form": "0" * 32}, follow_redirects=False).status_code == 200
    assert the_alert(api, tokens)["state"] == "open"
    taken = api.post(ivan, data={"form": form_of(page.text)}, follow_redirects=False)
    assert taken.status_code == 303
    now = the_alert(api, tokens)
    assert (now["state"], now["acknowledged_by"]) == ("acknowledged", "Ivan Petrov")
    shown = api.get(taken.headers["location"]).text
    assert "Ivan Petrov се занимава от" in shown
    # replayed, or Olena's link after Ivan took it: nothing more, and it says who is on it
    assert api.post(ivan, data={"form": form_of(page.text)}, follow_redirects=False).status_code == 200
    assert "Ivan Petrov займається цим з" in api.get(olena).text
    audit = api.get("/api/v1/audit", headers=auth(tokens.admin)).json()
    assert any(entry["action"] == "took alert" and "Ivan Petrov" in entry["actor"] for entry in audit)


def test_a_take_link_altered_expired_resolved_or_of_a_removed_contact_is_refused_clearly(
    api: TestClient, tokens: Tokens, clock: MovableClock, services: Services
) -> None:
    contact = add_contact(api, tokens, channels=[{"service": "hook", "address": "ivan"}])
    fail(api, tokens, clock)
    deliver(api)
    link = take_link(services.ok.texts()[0])
    page = api.get(link)
    form = form_of(page.text)
    token = link.removeprefix("/t/")
    altered = "/t/" + token[:-1] + ("A" if token[-1] != "A" else "B")
    refused = api.get(altered)
    assert refused.status_code == 404
    assert "не е валидна" in refused.text or "not valid" in refused.text
    assert "SN1" not in refused.text  # never an alert's data
    assert api.post(altered, data={"form": form}, follow_redirects=False).status_code == 404
    for junk in ("/t/" + "A" * 300, "/t/%00%ff", "/t/..%2F..%2Fadmin"):
        assert api.get(junk).status_code in (400, 404)
        assert "SN1" not in api.get(junk).text
    clock.now += timedelta(hours=24, minutes=1)
    expired = api.post(link, data={"form": form}, follow_redirects=False)
    assert "изтекла" in expired.text
    clock.now = T0 + timedelta(minutes=5)
    api.delete(f"/api/v1/contacts/{contact}", headers=auth(tokens.admin))
    assert api.post(link, data={"form": form}, follow_redirects=False).status_code == 404
    (alert,) = api.get("/api/v1/alerts", headers=auth(tokens.technician)).json()
    assert alert["state"] == "open"


def test_a_take_link_of_a_resolved_alert_says_so(
    api: TestClient, tokens: Tokens, clock: MovableClock, services: Services
) -> None:
    add_contact(api, tokens, channels=[{"service": "hook", "address": "ivan"}])
    fail(api, tokens, clock)
    deliver(api)
    link = take_link(services.ok.texts()[0])
    form = form_of(api.get(link).text)
    clock.now += timedelta(minutes=1)
    reading = factories.selftest(TestResult.PASS, seq=2, at=clock.now)
    api.post("/api/v1/ingest", json={"readings": [factories.as_json(reading)]}, headers=auth(tokens.bridge))
    page = api.post(link, data={"form": form}, follow_redirects=False)
    assert "отстранен" in page.text


def test_quiet_hours_hold_what_is_not_critical_and_a_holiday_tells_nothing(
    api: TestClient, tokens: Tokens, clock: MovableClock, services: Services
) -> None:
    quiet = {"start": "09:00", "end": "12:00", "time_zone": "Europe/Sofia"}  # T0 is 10:00 in Sofia
    add_contact(api, tokens, quiet_hours=quiet, channels=[{"service": "hook", "address": "quiet"}])
    add_contact(api, tokens, paused_until="2026-12-20", channels=[{"service": "hook", "address": "away"}])
    battery = factories.selftest(TestResult.PASS, seq=1, at=clock.now, battery_pct=10)  # major
    api.post("/api/v1/ingest", json={"readings": [factories.as_json(battery)]}, headers=auth(tokens.bridge))
    clock.now += timedelta(seconds=10)
    assert deliver(api) == 0  # waits for noon
    fail(api, tokens, clock, seq=2, device="SN2")  # critical: never waits
    assert deliver(api) == 1
    clock.now = datetime(2026, 12, 7, 10, 0, 6, tzinfo=UTC)  # 12:00:06 in Sofia
    assert deliver(api) == 1
    assert [path for path, _, _ in services.ok.got] == ["/hooks/quiet", "/hooks/quiet"]


def test_no_secret_of_any_service_is_in_any_log_answer_or_page(
    api: TestClient,
    tokens: Tokens,
    clock: MovableClock,
    services: Services,
    caplog: pytest.LogCaptureFixture,
    settings: ServerSettings,
) -> None:
    caplog.set_level(logging.DEBUG)
    names = ["broken", "refusing", "hook", "ntfy", "signal", "sms"]
    contact = add_contact(
        api,
        tokens,
        channels=[
            {"service": n, "address": "+359888123456" if n in ("signal", "sms") else "aed"} for n in names
        ],
    )
    fail(api, tokens, clock)
    deliver(api)
    tested = api.post(f"/api/v1/contacts/{contact}/test", headers=auth(tokens.admin))
    assert tested.status_code == 200
    answers = tested.json()
    assert [a["delivered"] for a in answers] == [False, False, True, True, True, True]
    said = [caplog.text, tested.text, str(settings), repr(settings)]
    for path in (
        "/api/v1/contacts",
        "/api/v1/notifications",
        "/api/v1/channels/services",
        "/api/v1/audit",
        "/metrics/",
        "/openapi.json",
    ):
        said.append(api.get(path, headers=auth(tokens.admin)).text)
    said.append(take_link_page(api, services))
    for secret_name, secret in SECRETS.items():
        for text in said:
            assert secret not in text, f"the {secret_name} secret was said"
    services_said = api.get("/api/v1/channels/services", headers=auth(tokens.admin)).json()
    assert {s["name"] for s in services_said} >= {"hook", "sms", "mail"}


def take_link_page(api: TestClient, services: Services) -> str:
    page: str = api.get(take_link(services.ok.texts()[0])).text
    return page


def test_an_escalation_says_who_was_told_and_on_which_channel(
    api: TestClient, tokens: Tokens, clock: MovableClock, services: Services
) -> None:
    from server.notify import planning

    add_contact(
        api, tokens, channels=[{"service": "broken", "address": "x"}, {"service": "hook", "address": "ivan"}]
    )
    add_contact(
        api, tokens, name="Head of unit", escalation=True, channels=[{"service": "form", "address": "head"}]
    )
    fail(api, tokens, clock)
    told = deliver(api)  # the head of unit hears of it too, as any contact; if not, each channel's answer
    assert told == 2, [(n["contact_id"], n["tries"]) for n in notifications(api, tokens)]
    clock.now += timedelta(minutes=31)
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        planning.plan_escalations(session, clock.now, timedelta(minutes=15))
    deliver(api)
    to_head = [text for (path, _, _), text in zip(services.ok.got, services.ok.texts(), strict=True)
               if path == "/forms/head"]  # fmt: skip
    escalated = [text for text in to_head if "Ескалация" in text]
    assert len(escalated) == 1
    assert "Уведомени досега: " in escalated[0]
    assert "Ivan Petrov (hook, 7.12.2026" in escalated[0]  # who, on which channel, when (Sofia's time)
    assert "Head of unit (form, " in escalated[0]


def test_the_board_says_who_is_on_an_alert_taken_by_its_link(
    api: TestClient, tokens: Tokens, clock: MovableClock, services: Services
) -> None:
    add_contact(api, tokens, channels=[{"service": "hook", "address": "ivan"}])
    fail(api, tokens, clock)
    deliver(api)
    link = take_link(services.ok.texts()[0])
    api.post(link, data={"form": form_of(api.get(link).text)})
    (device,) = api.get("/api/v1/devices", headers=auth(tokens.viewer)).json()
    assert [(o["key"], o["by"]) for o in device["on_it"]] == [("self_test_failed", "Ivan Petrov")]
