"""One tap to take an alert, as a technician does it on a phone in Bulgarian and Ukrainian:
the server is a real process with a channels file and a link key; the notification arrives at
a real receiver; Chromium opens its link, the person taps "I'm on it", and the console's API
says who is on it. Also: SIGHUP reads a changed channels file."""

from __future__ import annotations

import json
import os
import re
import signal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from aedmon.reading import TestResult

from ..conftest import Tokens, free_port, serve, start_server, wait_until
from ..unit.catalogues import english_sentences
from .conftest import send


class Receiver:
    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (http.server's name)
                receiver.got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        serve(self.server)


@pytest.fixture
def told(tmp_path: Path, tokens: Tokens, server_database: str) -> Any:
    receiver = Receiver()
    channels = tmp_path / "channels.toml"
    channels.write_text(
        f'[services.chat]\nurl = "json://127.0.0.1:{receiver.server.server_port}/{{address}}"\n'
    )
    key = tmp_path / "link.key"
    key.write_text("k" * 40)
    port = free_port()
    env = {
        "AEDMON_CHANNELS_FILE": str(channels),
        "AEDMON_LINK_SECRET_FILE": str(key),
        "AEDMON_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "AEDMON_NOTIFY_INTERVAL_S": "0.2",
    }
    server = start_server(tmp_path, tokens, server_database, env, port=port)
    yield server, receiver, channels
    server.process.stop()
    receiver.server.shutdown()


PHONES = [("bg", "Поемам го", "се занимава от"), ("uk", "Я займаюся", "займається цим з")]


@pytest.mark.parametrize(("language", "button", "on_it"), PHONES)
def test_a_technician_takes_an_alert_with_one_tap_on_a_phone(
    told: Any, browser: Any, language: str, button: str, on_it: str
) -> None:
    server, receiver, _ = told
    with server.client("admin") as admin:
        body = {
            "name": "Иван Петров",
            "language": language,
            "channels": [{"service": "chat", "address": "ivan"}],
        }
        admin.post("/api/v1/contacts", json=body).raise_for_status()
    send(server, 1, TestResult.FAIL, "SN1", codes=("C02",))
    wait_until(lambda: receiver.got, timeout=20, what="the notification")
    link = re.search(r"(http://127\.0\.0\.1:\d+/t/[A-Za-z0-9_-]+)", receiver.got[0]["message"])
    assert link, receiver.got[0]
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(link[1])
    tap = page.get_by_role("button", name=button)
    box = tap.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= 844  # on the first screen, no scrolling
    shown = page.locator("body").inner_text()
    assert [sentence for sentence in english_sentences() if sentence in shown] == []
    assert "self_test_failed" not in shown
    tap.click()
    page.wait_for_selector("#said")
    assert f"Иван Петров {on_it}" in page.locator("#said").inner_text()
    (alert,) = server.get_as("technician", "/api/v1/alerts", state="acknowledged")
    assert alert["acknowledged_by"] == "Иван Петров"
    page.goto(f"{server.url}/board/town-hall?lang={language}#token={server.tokens.viewer}")
    taken = page.locator('[data-device="SN1"] [data-reason="self_test_failed"] .on-it')
    taken.wait_for()
    assert taken.inner_text().startswith(f"Иван Петров {on_it} ")  # the board says who is on it
    page.close()


def test_sighup_reads_a_changed_channels_file(told: Any) -> None:
    server, _, channels = told
    body = {"name": "Olena", "channels": [{"service": "sms", "address": "+380501234567"}]}
    with server.client("admin") as admin:
        assert admin.post("/api/v1/contacts", json=body).status_code == 422
        channels.write_text(
            channels.read_text() + '[services.sms]\nurl = "smseagle://tok@127.0.0.1:9/{address}"\n'
        )
        os.kill(server.process.proc.pid, signal.SIGHUP)

        def known() -> bool:
            return any(s["name"] == "sms" for s in admin.get("/api/v1/channels/services").json())

        wait_until(known, timeout=10, what="the reloaded file")
        assert admin.post("/api/v1/contacts", json=body).status_code == 201
        channels.write_text("not toml [")  # a broken file keeps the services in force
        os.kill(server.process.proc.pid, signal.SIGHUP)
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        wait_until(
            lambda: "channels file not reloaded" in server.process.output(), timeout=10, what="its word"
        )
        assert {s["name"] for s in admin.get("/api/v1/channels/services").json()} == {"chat", "sms"}


def test_an_admin_gives_a_contact_its_addresses_and_sends_a_test_from_the_console(
    told: Any, browser: Any
) -> None:
    server, receiver, _ = told
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(f"{server.url}/console?lang=bg#token={server.tokens.admin}")
    form = page.locator("#contact-form")
    form.wait_for()
    assert "chat (" in page.locator("#services-known").inner_text()
    form.locator("[name=name]").fill("Мария Иванова")
    form.locator("[name=channels]").fill("chat: maria\nnosuch: x")
    form.locator("button[type=submit]").click()
    said = "() => document.querySelector('#contact-form output').textContent.includes('nosuch')"
    page.wait_for_function(said)  # the service the file does not name
    form.locator("[name=channels]").fill("chat: maria")
    form.locator("[name=quiet_start]").fill("22:00")
    form.locator("[name=quiet_end]").fill("07:00")
    form.locator("button[type=submit]").click()
    card = page.locator("#contacts li", has_text="Мария Иванова")
    card.wait_for()
    assert "chat: maria" in card.inner_text()
    assert "22:00–07:00" in card.inner_text()
    card.get_by_role("button", name="Изпрати проба").click()
    card.locator("output .good").wait_for()
    assert "chat: доставено" in card.inner_text()
    wait_until(lambda: receiver.got, timeout=10, what="the test message")
    assert "Мария Иванова" in receiver.got[-1]["message"]
    (contact,) = server.get_as("admin", "/api/v1/contacts")
    assert contact["quiet_hours"]["start"] == "22:00"
    page.close()
