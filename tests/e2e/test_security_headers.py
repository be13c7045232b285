"""Security headers as a browser meets them: every page works under a Content Security Policy
without inline script (Chromium reports no violation, the map's tiles still load), no page may
be framed, and the API docs render the OpenAPI 3.1 document offline."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ..conftest import ServerProcess, TileServer
from .conftest import accept_and_sign_in

PASSWORD = "an administrator's long password"


def watched(page: Any) -> list[str]:
    """What the page's console and script errors said; a CSP violation lands there."""
    said: list[str] = []
    page.on("console", lambda message: said.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: said.append(f"pageerror: {error}"))
    return said


def test_the_api_docs_render_the_openapi_document_offline(server: ServerProcess, browser: Any) -> None:
    page = browser.new_context().new_page()
    said = watched(page)
    page.goto(f"{server.url}/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/devices" in [p.replace("\u200b", "") for p in paths]
    assert "Unable to render this definition" not in page.locator("body").inner_text()
    assert not [line for line in said if "Content Security Policy" in line or line.startswith("pageerror")]


@pytest.mark.parametrize("map_tiles", ["served"], indirect=True)
def test_every_page_works_under_the_policy_and_none_may_be_framed(
    fleet: ServerProcess, browser: Any, map_tiles: TileServer
) -> None:
    with fleet.client("admin") as admin:
        body = {"email": "boss@pernik.bg", "name": "Boss", "role": "admin"}
        made = admin.post("/api/v1/users", json=body)
        made.raise_for_status()
        public_key = admin.get("/api/v1/devices/SN1").json()["public_key"]
    page = accept_and_sign_in(browser, made.json()["invite_url"], "boss@pernik.bg", PASSWORD)
    said = watched(page)
    pages = {
        "/board": '[data-device="SN2"]',
        "/console": "main",
        "/admin": '#device-table tr[data-device="SN1"]',
        "/devices/SN1": "main",
        "/reports/compliance": "#rows",
        "/stickers?site=town-hall": "#sheet[data-count]",
        "/account": "main",
        f"/d/SN1?k={public_key}": "main",
    }
    for path, ready in pages.items():
        page.goto(f"{fleet.url}{path}")
        page.wait_for_selector(ready, state="attached")
        page.wait_for_timeout(300)
    violations = [line for line in said if "Content Security Policy" in line or line.startswith("pageerror")]
    assert violations == []
    assert map_tiles.fetched  # the board's map drew its tiles from the tile server the policy names

    answer = httpx.get(f"{fleet.url}/board")
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "same-origin"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in answer.headers  # plain http: HSTS only over https
