"""A person, as a new user would be, in Chromium: opens the invitation, sets a password, signs
in, sees only their own site on the board, and signs out; no key in any link."""

from __future__ import annotations

import time
from typing import Any

import pyotp

from aedmon.reading import TestResult

from ..conftest import ServerProcess
from .conftest import accept_and_sign_in, send


def invited_and_signed_in(server: ServerProcess, browser: Any, person: dict[str, Any], password: str) -> Any:
    """A person invited by the installation's admin key, signed in with their new password."""
    with server.client("admin") as admin:
        invited = admin.post("/api/v1/users", json=person)
        invited.raise_for_status()
    return accept_and_sign_in(browser, invited.json()["invite_url"], person["email"], password)


def test_an_invited_caretaker_sets_a_password_signs_in_sees_their_site_and_signs_out(
    fleet: ServerProcess, browser: Any
) -> None:
    with fleet.client("admin") as admin:
        admin.post(
            "/api/v1/devices", json={"id": "SCH9", "site": "school-9", "kind": "aed"}
        ).raise_for_status()
        invited = admin.post(
            "/api/v1/users",
            json={"email": "maria@town-hall.bg", "name": "Maria", "role": "staff", "sites": ["town-hall"]},
        )
        invited.raise_for_status()
    page = browser.new_page()
    page.goto(invited.json()["invite_url"])
    page.fill("input[name=password]", "a caretaker's long password")
    page.fill("input[name=again]", "a caretaker's long password")
    page.click("#invite-form button[type=submit]")
    page.wait_for_url("**/login")
    page.fill("input[name=email]", "maria@town-hall.bg")
    page.fill("input[name=password]", "wrong password here")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#login-form output.bad")
    page.fill("input[name=password]", "a caretaker's long password")
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/board")
    page.wait_for_selector('[data-device="SN2"]')  # the fleet board: what needs something
    shown = page.locator("main").inner_text()
    assert "SCH9" not in shown  # another site's AED does not exist for her
    assert page.locator("#sign-out").is_visible()
    page.click("#sign-out")
    page.wait_for_url("**/login")
    page.goto(f"{fleet.url}/board")
    page.wait_for_selector("#notice a[href^='/login']")


def test_an_administrator_adds_a_second_factor_and_signs_in_with_its_code(
    server: ServerProcess, browser: Any
) -> None:
    elena = {"email": "elena@sofia.bg", "name": "Elena", "role": "admin", "areas": ["sofia"]}
    page = invited_and_signed_in(server, browser, elena, "an administrator's passphrase")
    page.wait_for_selector("#admin-link", state="visible")
    page.click("#account-link")
    page.wait_for_url("**/account")
    page.click("#factor-begin")
    page.wait_for_selector("#factor-code svg path")
    secret = page.locator("#factor-secret").inner_text()
    page.fill("#factor-form input[name=code]", pyotp.TOTP(secret).now())
    page.click("#factor-submit")
    page.wait_for_selector("#factor-form output.ok")
    page.click("#sign-out")
    page.wait_for_url("**/login")

    page.fill("input[name=email]", "elena@sofia.bg")
    page.fill("input[name=password]", "an administrator's passphrase")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#code-field:not([hidden])")  # the password was right; now the code
    assert page.url.endswith("/login")
    # Each code works once: the next 30-s step's (taken, as a phone a little ahead would show it).
    page.fill("input[name=code]", pyotp.TOTP(secret).at(time.time() + 30))
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/board")


def test_a_signed_in_board_changes_when_the_server_pushes_not_when_it_polls(
    fleet: ServerProcess, browser: Any
) -> None:
    vera = {"email": "vera@town-hall.bg", "name": "Vera", "role": "staff", "sites": ["town-hall"]}
    page = invited_and_signed_in(fleet, browser, vera, "a caretaker's long password")
    page.goto(f"{fleet.url}/board/town-hall")
    page.wait_for_selector('[data-device="SN1"][data-readiness="ready"]')
    page.wait_for_function("() => changes.pushed === true")  # the stream is open: polling every 30 s only
    send(fleet, 2, TestResult.FAIL, "SN1", codes=("C02",))
    page.wait_for_selector('[data-device="SN1"][data-readiness="not_ready"]', timeout=5_000)


def test_a_signed_in_technicians_console_hears_of_alerts_pushed_not_polled(
    fleet: ServerProcess, browser: Any
) -> None:
    georgi = {"email": "georgi@service.bg", "name": "Georgi", "role": "technician", "sites": ["town-hall"]}
    page = invited_and_signed_in(fleet, browser, georgi, "a technician's passphrase")
    asked: list[str] = []
    page.on(
        "request", lambda request: asked.append(request.url) if "/api/v1/alerts?" in request.url else None
    )
    page.goto(f"{fleet.url}/console")
    page.wait_for_selector('[data-alert][data-type="self_test_warning"]')
    page.wait_for_function("() => changes.pushed === true")
    asked.clear()
    page.wait_for_timeout(2_500)  # polling every 2 s would have asked by now
    assert asked == []
    send(fleet, 2, TestResult.FAIL, "SN1", codes=("C02",))
    page.wait_for_selector('[data-alert][data-type="self_test_failed"]', timeout=5_000)
    assert len(asked) == 1  # the push, and nothing else
