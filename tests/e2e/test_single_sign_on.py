"""Single sign-on, end to end in Chromium against a real OpenID Connect provider on loopback
(oidc-provider from npm, on Node from Debian): an invited person signs in through their
organisation and lands on their board; someone not invited, an unverified e-mail, a disabled
person and a forged callback are each turned back to the sign-in page with the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from aedmon.demo import free_port

from ..conftest import ProviderStarter, ServerProcess, Tokens, start_server

ACCOUNTS = {
    "ivana": {"email": "Ivana@School.bg", "email_verified": True, "name": "Ivana"},
    "mallory": {"email": "mallory@elsewhere.bg", "email_verified": True},
    "petar": {"email": "petar@school.bg", "email_verified": False},
}


def sign_on(browser: Any, server: ServerProcess, login: str) -> Any:
    """Through the provider's own sign-in and consent pages, as a person would."""
    page = browser.new_context().new_page()
    page.goto(f"{server.url}/login")
    page.click("#sso")
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "the provider checks this, not aedmon")
    with page.expect_navigation():
        page.click("button[type=submit]")
    if not page.url.startswith(server.url):  # the provider asks to share the e-mail with aedmon
        page.click("button[type=submit]")
    page.wait_for_url(lambda url: url.startswith(server.url), timeout=10_000)
    return page


def test_an_invited_person_signs_on_through_their_organisation(
    browser: Any, identity_provider: ProviderStarter, tmp_path: Path, tokens: Tokens, server_database: str
) -> None:
    port = free_port()
    provider = identity_provider(f"http://127.0.0.1:{port}/auth/oidc/callback", ACCOUNTS)
    env = {
        "AEDMON_OIDC_ISSUER": provider.issuer,
        "AEDMON_OIDC_CLIENT_ID": provider.client_id,
        "AEDMON_OIDC_CLIENT_SECRET": provider.client_secret,
        "AEDMON_OIDC_NAME": "Sofia municipality",
    }
    server = start_server(tmp_path, tokens, server_database, env, port)
    try:
        with server.client("admin") as admin:
            admin.post(
                "/api/v1/devices", json={"id": "SN1", "site": "school", "kind": "aed"}
            ).raise_for_status()
            admin.post(
                "/api/v1/devices", json={"id": "SN2", "site": "hall", "kind": "aed"}
            ).raise_for_status()
            for email in ("ivana@school.bg", "petar@school.bg"):
                body = {
                    "email": email,
                    "name": email.split("@")[0].title(),
                    "role": "staff",
                    "sites": ["school"],
                }
                admin.post("/api/v1/users", json=body).raise_for_status()

        ivana = sign_on(browser, server, "ivana")
        ivana.wait_for_url(f"{server.url}/board")
        ivana.wait_for_selector('[data-device="SN1"]')
        assert "SN2" not in ivana.locator("main").inner_text()
        me = ivana.request.get(f"{server.url}/api/v1/whoami").json()
        assert (me["name"], me["role"], me["sites"]) == ("ivana@school.bg", "staff", ["school"])
        cookies = {c["name"]: c for c in ivana.context.cookies()}
        assert cookies["aedmon_session"]["httpOnly"]

        for login, why in (("mallory", "not_invited"), ("petar", "unverified")):
            page = sign_on(browser, server, login)
            page.wait_for_selector("#sso-refused")
            assert page.url == f"{server.url}/login?sso={why}"
            assert page.request.get(f"{server.url}/api/v1/whoami").status == 401

        with server.client("admin") as admin:
            ivana_id = next(
                u["id"] for u in admin.get("/api/v1/users").json() if u["email"] == "ivana@school.bg"
            )
            admin.delete(f"/api/v1/users/{ivana_id}").raise_for_status()
        assert ivana.request.get(f"{server.url}/api/v1/whoami").status == 401  # her session ended
        again = sign_on(browser, server, "ivana")
        again.wait_for_selector("#sso-refused")
        assert again.url.endswith("/login?sso=not_invited")

        forged = httpx.get(f"{server.url}/auth/oidc/callback", params={"code": "stolen", "state": "guessed"})
        assert forged.status_code == 303
        assert forged.headers["location"].endswith("/login?sso=failed")
        assert "aedmon_session" not in forged.cookies
    finally:
        server.process.stop()


def test_without_a_provider_the_sign_on_pages_do_not_exist(server: ServerProcess) -> None:
    assert httpx.get(f"{server.url}/auth/oidc/login").status_code == 404
    assert 'id="sso"' not in httpx.get(f"{server.url}/login").text
