"""The first administrator without curl: a server with no people and no tokens starts and says
a one-time setup link; in Chromium, in Bulgarian, it makes the first administrator and names
the installation, its time zone and first area; then the link is dead and the page says so."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from aedmon.demo import free_port

from ..conftest import Process, aedmon_args, wait_until

PASSWORD = "три думи за паролата"


@pytest.mark.parametrize("server_database", ["sqlite", "postgresql"], indirect=True)
def test_a_new_installation_is_set_up_in_the_browser_once(
    tmp_path: Path, server_database: str, browser: Any
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AEDMON_")}
    args = aedmon_args("server", "--port", str(port), "--database-url", server_database)
    server = Process(args, tmp_path / "server.log", env).start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: "/setup#token=" in server.output(), timeout=30, what="the setup link")
        said = re.search(r"make the first administrator at (http://\S+)", server.output())
        assert said is not None
        link = said.group(1).replace(f"http://localhost:{port}", url)
        token = link.split("#token=")[1]
        # the token goes in the fragment: nothing of it is sent until the form is
        wrong = httpx.post(f"{url}/api/v1/setup", json={**SETUP, "token": "not-the-token"})
        assert wrong.status_code == 403

        page = browser.new_context(locale="bg-BG").new_page()
        page.goto(link)
        assert page.locator("h1").inner_text() == "Настройка на aedmon"
        page.fill("input[name=name]", "Мария Петрова")
        page.fill("input[name=email]", "maria@pernik.bg")
        page.fill("input[name=password]", PASSWORD)
        page.fill("input[name=again]", PASSWORD)
        page.click("#setup-next")
        page.fill("input[name=installation]", "Дефибрилатори на община Перник")
        page.fill("input[name=time_zone]", "Europe/Sofia")
        page.fill("input[name=area]", "pernik")
        page.fill("input[name=area_name]", "Перник")
        page.click("#setup-form button[type=submit]")
        page.wait_for_url("**/login")
        page.fill("input[name=email]", "maria@pernik.bg")
        page.fill("input[name=password]", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url("**/board")
        assert page.locator("body").get_attribute("data-zone") == "Europe/Sofia"
        people = page.request.get(f"{url}/api/v1/users").json()
        assert [(p["email"], p["role"], p["language"]) for p in people] == [
            ("maria@pernik.bg", "admin", "bg")
        ]

        # used: the link is dead, and its page says so
        again = browser.new_context(locale="bg-BG").new_page()
        again.goto(link)
        assert "Инсталацията е настроена" in again.locator("#setup-closed").inner_text()
        assert again.locator("#setup-form").count() == 0
        assert httpx.post(f"{url}/api/v1/setup", json={**SETUP, "token": token}).status_code == 410
    finally:
        server.stop()

    # started again with a person in it: no link is said
    server = Process(args, tmp_path / "again.log", env).start()
    try:
        wait_until(lambda: "server ready" in server.output(), timeout=30, what="the server")
        assert "/setup#token=" not in server.output()
    finally:
        server.stop()


SETUP = {
    "name": "Someone", "email": "someone@example.org", "password": "a long enough password",
    "installation": "X", "time_zone": "Europe/Prague", "area": "x",
}  # fmt: skip


HOSTILE = [
    {"time_zone": "Mars/Olympus"},
    {"area": "no spaces allowed"},
    {"password": "short"},
    {"email": "not-an-address"},
    {"name": "\u0000"},
    {"name": ""},
    {"installation": "x" * 201},
    {"token": "x" * 201},
    {"language": "fr"},
    {"extra": "field"},
]


@pytest.mark.parametrize("server_database", ["sqlite", "postgresql"], indirect=True)
def test_hostile_setup_input_is_refused_and_leaves_the_link_open(
    tmp_path: Path, server_database: str
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AEDMON_")}
    args = aedmon_args("server", "--port", str(port), "--database-url", server_database)
    server = Process(args, tmp_path / "server.log", env).start()
    try:
        wait_until(lambda: "/setup#token=" in server.output(), timeout=30, what="the setup link")
        token = server.output().split("/setup#token=")[1].split()[0]
        setup = f"http://127.0.0.1:{port}/api/v1/setup"
        for change in HOSTILE:
            refused = httpx.post(setup, json={**SETUP, "token": token, **change})
            assert refused.status_code == 422, (change, refused.text)
        assert (
            httpx.post(setup, content=b"{" * 10_000, headers={"Content-Type": "application/json"}).status_code
            == 422
        )
        made = httpx.post(setup, json={**SETUP, "token": token})
        assert made.status_code == 201, made.text  # the link still works after every refusal
        assert httpx.post(setup, json={**SETUP, "token": token}).status_code == 410  # and once only
    finally:
        server.stop()
