"""Named people, on SQLite and PostgreSQL: invited with a one-time link, signed in with an
Argon2 password, a session cookie (HttpOnly, SameSite, Secure behind https) whose changes
carry a CSRF token, failed logins slowed per account and address, disabled at once, scoped
to their sites, and named in the audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from aedmon.clock import MovableClock
from aedmon.reading import TestResult
from server.app import create_app
from server.settings import ServerSettings
from server.store.models import LoginFailure, User

from .. import factories
from ..conftest import Tokens

NOW = factories.T0 + timedelta(minutes=5)
PASSWORD = "correct horse battery staple"
CHECKS = {"inspector": "Ivana", "status_light_ok": True, "pads_sealed_in_date": True, "cabinet_intact": True}


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW)


@pytest.fixture
def api(database_url: str, tokens: Tokens, clock: MovableClock) -> Iterator[TestClient]:
    settings = ServerSettings(database_url=database_url, tokens=tokens.setting)
    with TestClient(create_app(settings, clock, background=False)) as client:
        admin = {"Authorization": f"Bearer {tokens.admin}"}
        for device, site, area in (("SN-A", "pernik-school", "pernik"), ("SN-B", "sofia-school", "sofia")):
            client.post("/api/v1/devices", json=factories.device(device, site=site, area=area), headers=admin)
            failed = factories.as_json(factories.selftest(TestResult.FAIL, device=device, site=site, at=NOW))
            bridge = {"Authorization": f"Bearer {tokens.bridge}"}
            client.post("/api/v1/ingest", json={"readings": [failed]}, headers=bridge).raise_for_status()
        yield client


def invite(api: TestClient, tokens: Tokens, email: str, role: str = "staff", **scope: Any) -> dict[str, Any]:
    body = {"email": email, "name": email.split("@")[0].title(), "role": role, "language": "bg", **scope}
    answer = api.post("/api/v1/users", json=body, headers={"Authorization": f"Bearer {tokens.admin}"})
    assert answer.status_code == 201, answer.text
    invited: dict[str, Any] = answer.json()
    return invited


def sign_in(api: TestClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    answer = api.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    me: dict[str, Any] = answer.json()
    return me


def person(api: TestClient, tokens: Tokens, email: str, role: str = "staff", **scope: Any) -> dict[str, Any]:
    """Invited, password set, signed in: who they are, with the CSRF token."""
    invited = invite(api, tokens, email, role, **scope)
    assert api.post(
        "/api/v1/auth/invite", json={"token": invited["invite_token"], "password": PASSWORD}
    ).is_success
    return sign_in(api, email)


def test_an_invited_caretaker_signs_in_and_sees_and_inspects_only_their_school(
    api: TestClient, tokens: Tokens
) -> None:
    invited = invite(api, tokens, "Ivana@school.bg", sites=["pernik-school"], time_zone="Europe/Sofia")
    assert invited["invite_url"].endswith(f"/invite#token={invited['invite_token']}")
    accepted = api.post("/api/v1/auth/invite", json={"token": invited["invite_token"], "password": PASSWORD})
    assert accepted.json() == {"email": "ivana@school.bg"}
    again = api.post(
        "/api/v1/auth/invite", json={"token": invited["invite_token"], "password": "another password"}
    )
    assert again.status_code == 422  # once
    people = api.get("/api/v1/users", headers={"Authorization": f"Bearer {tokens.admin}"}).json()
    assert [(p["email"], p["time_zone"], p["language"]) for p in people] == [
        ("ivana@school.bg", "Europe/Sofia", "bg")
    ]
    me = sign_in(api, "IVANA@school.bg")
    assert me["name"] == "ivana@school.bg"
    assert me["role"] == "staff"
    assert me["sites"] == ["pernik-school"]
    assert me["csrf_token"]
    assert api.get("/api/v1/whoami").json() == me  # by the cookie alone
    assert {d["id"] for d in api.get("/api/v1/devices").json()} == {"SN-A"}
    assert api.get("/api/v1/devices/SN-B").status_code == 404
    csrf = {"X-CSRF-Token": me["csrf_token"]}
    recorded = api.post("/api/v1/devices/SN-A/inspections", json=CHECKS, headers=csrf)
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["recorded_by"] == "ivana@school.bg"
    assert api.post("/api/v1/devices/SN-B/inspections", json=CHECKS, headers=csrf).status_code == 404


def test_a_change_made_with_the_cookie_needs_the_sessions_csrf_token(api: TestClient, tokens: Tokens) -> None:
    me = person(api, tokens, "tech@pernik.bg", "technician", areas=["pernik"])
    alert = api.get("/api/v1/alerts", params={"state": "open"}).json()[0]
    for headers in ({}, {"X-CSRF-Token": "guess"}, {"X-CSRF-Token": me["csrf_token"] + "x"}):
        refused = api.post(f"/api/v1/alerts/{alert['id']}/ack", json={"note": "x"}, headers=headers)
        assert refused.status_code == 403, headers
    acked = api.post(f"/api/v1/alerts/{alert['id']}/ack", json={"note": "on my way"},
                     headers={"X-CSRF-Token": me["csrf_token"]})  # fmt: skip
    assert acked.json()["acknowledged_by"] == "tech@pernik.bg"
    history = api.get(f"/api/v1/alerts/{alert['id']}/history").json()
    assert history[-1]["actor"] == "tech@pernik.bg"
    api.cookies.clear()
    forged = {"Cookie": "aedmon_session=forged", "X-CSRF-Token": me["csrf_token"]}
    bogus = api.post(f"/api/v1/alerts/{alert['id']}/ack", json={"note": "x"}, headers=forged)
    assert bogus.status_code == 401


def test_the_session_cookie_is_httponly_samesite_and_secure_behind_https(
    api: TestClient, tokens: Tokens
) -> None:
    person(api, tokens, "a@pernik.bg", areas=["pernik"])
    answer = api.post("/api/v1/auth/login", json={"email": "a@pernik.bg", "password": PASSWORD},
                      headers={"X-Forwarded-Proto": "https"})  # fmt: skip
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" in cookie
    plain = api.post("/api/v1/auth/login", json={"email": "a@pernik.bg", "password": PASSWORD})
    assert "secure" not in plain.headers["set-cookie"].lower()


def test_failed_logins_are_slowed_per_account_and_say_nothing_of_who_exists(
    api: TestClient, tokens: Tokens, clock: MovableClock
) -> None:
    person(api, tokens, "b@pernik.bg", areas=["pernik"])
    api.cookies.clear()
    unknown = api.post("/api/v1/auth/login", json={"email": "nobody@x.bg", "password": PASSWORD})
    wrong = api.post("/api/v1/auth/login", json={"email": "b@pernik.bg", "password": "not the password"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
    for _ in range(4):
        api.post("/api/v1/auth/login", json={"email": "b@pernik.bg", "password": "not the password"})
    slowed = api.post("/api/v1/auth/login", json={"email": "b@pernik.bg", "password": PASSWORD})
    assert slowed.status_code == 429
    assert int(slowed.headers["retry-after"]) > 0
    clock.advance(timedelta(minutes=16))
    assert sign_in(api, "b@pernik.bg")["name"] == "b@pernik.bg"
    api.post("/api/v1/auth/login", json={"email": "other@x.bg", "password": "a later guess"})
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        kept = session.scalars(select(LoginFailure.subject)).all()
    assert sorted(kept) == ["account:other@x.bg", "address:testclient"]  # older ones forgotten


def test_failed_logins_from_one_address_are_slowed_across_accounts(
    api: TestClient, tokens: Tokens, clock: MovableClock
) -> None:
    person(api, tokens, "c@pernik.bg", areas=["pernik"])
    api.cookies.clear()  # a browser never signed in from: see the next test for one that was
    for number in range(20):
        api.post("/api/v1/auth/login", json={"email": f"guess{number}@x.bg", "password": "password123456"})
    assert (
        api.post("/api/v1/auth/login", json={"email": "c@pernik.bg", "password": PASSWORD}).status_code == 429
    )


def test_wrong_passwords_from_anyone_never_lock_the_owner_out_of_their_own_browser(
    api: TestClient, tokens: Tokens
) -> None:
    """OWASP's device cookies: a browser the person signed in from before keeps its own count."""
    person(api, tokens, "e@pernik.bg", areas=["pernik"])  # the owner's browser: it has a device cookie
    owners = dict(api.cookies)
    assert "aedmon_device" in owners
    api.cookies.clear()
    for number in range(30):  # an attacker, from the same address and without the owner's cookie
        api.post("/api/v1/auth/login", json={"email": "e@pernik.bg", "password": f"guess {number} 123"})
    locked = api.post("/api/v1/auth/login", json={"email": "e@pernik.bg", "password": PASSWORD})
    assert locked.status_code == 429  # the attacker's untrusted browser is slowed
    api.cookies.clear()
    api.cookies.set("aedmon_device", owners["aedmon_device"], path="/api/v1/auth/login")
    assert sign_in(api, "e@pernik.bg")["name"] == "e@pernik.bg"  # the owner is not
    forged = {"aedmon_device": "not-a-device-of-theirs"}
    api.cookies.clear()
    for cookie, value in forged.items():
        api.cookies.set(cookie, value, path="/api/v1/auth/login")
    assert (
        api.post("/api/v1/auth/login", json={"email": "e@pernik.bg", "password": PASSWORD}).status_code == 429
    )
    api.cookies.clear()
    api.cookies.set("aedmon_device", owners["aedmon_device"], path="/api/v1/auth/login")
    for number in range(5):  # and the owner's own browser is still slowed when it guesses
        api.post("/api/v1/auth/login", json={"email": "e@pernik.bg", "password": f"mine {number} wrong"})
    assert (
        api.post("/api/v1/auth/login", json={"email": "e@pernik.bg", "password": PASSWORD}).status_code == 429
    )


def test_logout_disable_and_a_new_password_end_sessions(api: TestClient, tokens: Tokens) -> None:
    me = person(api, tokens, "d@pernik.bg", areas=["pernik"])
    csrf = {"X-CSRF-Token": me["csrf_token"]}
    wrong = api.post(
        "/api/v1/auth/password", json={"current": "nope", "new": "a new long password"}, headers=csrf
    )
    assert wrong.status_code == 422
    short = api.post("/api/v1/auth/password", json={"current": PASSWORD, "new": "short"}, headers=csrf)
    assert short.status_code == 422
    changed = api.post("/api/v1/auth/password", json={"current": PASSWORD, "new": "a new long password"},
                       headers=csrf)  # fmt: skip
    assert changed.status_code == 204
    assert api.get("/api/v1/whoami").status_code == 401  # its sessions ended
    me = sign_in(api, "d@pernik.bg", "a new long password")
    assert api.post("/api/v1/auth/logout", headers={"X-CSRF-Token": me["csrf_token"]}).status_code == 204
    assert api.get("/api/v1/whoami").status_code == 401
    sign_in(api, "d@pernik.bg", "a new long password")
    admin = {"Authorization": f"Bearer {tokens.admin}"}
    user_id = next(
        u["id"] for u in api.get("/api/v1/users", headers=admin).json() if u["email"] == "d@pernik.bg"
    )
    assert api.delete(f"/api/v1/users/{user_id}", headers=admin).json()["disabled_at"] is not None
    assert api.get("/api/v1/whoami").status_code == 401
    gone = api.post("/api/v1/auth/login", json={"email": "d@pernik.bg", "password": "a new long password"})
    assert gone.status_code == 401


def test_passwords_are_argon2_and_invitations_kept_only_as_hashes(api: TestClient, tokens: Tokens) -> None:
    invited = invite(api, tokens, "e@pernik.bg", areas=["pernik"])
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        user = session.scalars(select(User).where(User.email == "e@pernik.bg")).one()
        assert user.invite_hash != invited["invite_token"]
        assert invited["invite_token"] not in str(vars(user))
    api.post("/api/v1/auth/invite", json={"token": invited["invite_token"], "password": PASSWORD})
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        user = session.scalars(select(User).where(User.email == "e@pernik.bg")).one()
        assert user.password_hash is not None
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        assert user.invite_hash is None


def test_an_invitation_expires_after_a_week(api: TestClient, tokens: Tokens, clock: MovableClock) -> None:
    invited = invite(api, tokens, "f@pernik.bg", areas=["pernik"])
    clock.advance(timedelta(days=8))
    late = api.post("/api/v1/auth/invite", json={"token": invited["invite_token"], "password": PASSWORD})
    assert late.status_code == 422


def test_an_area_admin_invites_and_manages_only_its_own_people(api: TestClient, tokens: Tokens) -> None:
    other = invite(api, tokens, "g@sofia.bg", areas=["sofia"])
    me = person(api, tokens, "admin@pernik.bg", "admin", areas=["pernik"])
    csrf = {"X-CSRF-Token": me["csrf_token"]}
    for scope in ({}, {"areas": ["sofia"]}, {"sites": ["sofia-school"]}):
        body = {"email": "h@x.bg", "name": "H", "role": "staff", **scope}
        assert api.post("/api/v1/users", json=body, headers=csrf).status_code == 403, scope
    made = api.post("/api/v1/users", json={"email": "h@x.bg", "name": "H", "role": "staff",
                                           "sites": ["pernik-school"]}, headers=csrf)  # fmt: skip
    assert made.status_code == 201
    listed = {u["email"] for u in api.get("/api/v1/users").json()}
    assert "g@sofia.bg" not in listed
    assert "h@x.bg" in listed
    assert api.patch(f"/api/v1/users/{other['id']}", json={"name": "x"}, headers=csrf).status_code == 404
    assert api.delete(f"/api/v1/users/{other['id']}", headers=csrf).status_code == 404
    widen = api.patch(f"/api/v1/users/{made.json()['id']}", json={"areas": ["sofia"]}, headers=csrf)
    assert widen.status_code == 403
    dup = api.post("/api/v1/users", json={"email": "H@X.bg", "name": "H", "role": "staff",
                                          "sites": ["pernik-school"]}, headers=csrf)  # fmt: skip
    assert dup.status_code == 409


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/users", {"email": "not-an-email", "name": "x", "role": "staff"}),
        ("/api/v1/users", {"email": "a@" + "b" * 320 + ".bg", "name": "x", "role": "staff"}),
        ("/api/v1/users", {"email": "a@b.bg", "name": "x\u0000", "role": "staff"}),
        ("/api/v1/users", {"email": "a@b.bg", "name": "x", "role": "god"}),
        ("/api/v1/users", {"email": "a@b.bg", "name": "x", "role": "staff", "password": "x"}),
        ("/api/v1/users", {"email": "a@b.bg", "name": "x", "role": "staff", "time_zone": "Mars/Olympus"}),
        ("/api/v1/users", {"email": "a@b.bg", "name": "x", "role": "staff", "time_zone": "x" * 65}),
        ("/api/v1/auth/login", {"email": "a@b.bg", "password": "x" * 1025}),
        ("/api/v1/auth/login", {"email": "", "password": "x"}),
        ("/api/v1/auth/invite", {"token": "x" * 201, "password": PASSWORD}),
        ("/api/v1/auth/invite", {"token": "", "password": PASSWORD}),
    ],
)
def test_hostile_people_requests_are_refused(
    api: TestClient, tokens: Tokens, path: str, body: dict[str, Any]
) -> None:
    answer = api.post(path, json=body, headers={"Authorization": f"Bearer {tokens.admin}"})
    assert answer.status_code == 422, answer.text


def test_a_passers_by_report_and_who_is_on_it_show_where_staff_and_the_public_look(
    api: TestClient, tokens: Tokens, clock: MovableClock
) -> None:
    admin = {"Authorization": f"Bearer {tokens.admin}"}
    bridge = {"Authorization": f"Bearer {tokens.bridge}"}
    later = NOW + timedelta(seconds=30)
    passed = factories.selftest(TestResult.PASS, device="SN-A", site="pernik-school", seq=2, at=later)
    body = {"readings": [factories.as_json(passed)]}
    api.post("/api/v1/ingest", json=body, headers=bridge).raise_for_status()
    device = api.get("/api/v1/devices/SN-A", headers=admin).json()
    assert device["readiness"] == "ready"
    key = device["public_key"]
    sent = api.post("/d/SN-A/report", data={"k": key, "text": "The cabinet glass is broken"},
                    follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303
    device = api.get("/api/v1/devices/SN-A", headers=admin).json()
    assert device["readiness"] == "attention"  # a reported problem needs someone to look
    said = dict(zip(device["reason_keys"], device["reasons"], strict=True))["reported_problem"]
    assert said.startswith("A problem was reported at ")
    assert said.endswith("; a technician has been told.")
    page = api.get("/d/SN-A", params={"k": key, "lang": "en"}).text
    assert "a technician has been told." in page

    clock.advance(timedelta(minutes=8))
    me = person(api, tokens, "georgi.ivanov.field.technician@service-company.example.bg", "technician")
    alert = next(a for a in api.get("/api/v1/alerts").json() if a["type"] == "reported_problem")
    acked = api.post(f"/api/v1/alerts/{alert['id']}/ack", json={"note": "coming"},
                     headers={"X-CSRF-Token": me["csrf_token"]})  # fmt: skip
    assert acked.status_code == 200, acked.text  # an e-mail longer than 64 characters is kept whole
    page = api.get("/d/SN-A", params={"k": key, "lang": "en"}).text
    name = "Georgi.Ivanov.Field.Technician"  # the name the invitation gave
    assert f"; {name} is on it since " in page
    assert "service-company" not in page  # a public page never shows a person's e-mail
    bulgarian = api.get("/d/SN-A", params={"k": key, "lang": "bg"}).text
    assert f"{name} се занимава с него от" in bulgarian

    api.post(f"/api/v1/alerts/{alert['id']}/resolve", json={"note": "glass replaced"},
             headers={"X-CSRF-Token": me["csrf_token"]}).raise_for_status()  # fmt: skip
    after = api.get("/api/v1/devices/SN-A", headers=admin).json()
    assert "reported_problem" not in after["reason_keys"]  # (its heartbeat is late by now: unknown)


def test_an_invitation_links_to_the_public_address_when_the_server_is_behind_a_proxy(
    database_url: str, tokens: Tokens, clock: MovableClock
) -> None:
    settings = ServerSettings(
        database_url=database_url, tokens=tokens.setting, public_url="https://aed.sofia.bg"
    )
    with TestClient(create_app(settings, clock, background=False), base_url="http://10.0.0.7:8000") as api:
        invited = invite(api, tokens, "maria@sofia.bg")
    assert invited["invite_url"] == f"https://aed.sofia.bg/invite#token={invited['invite_token']}"


@pytest.mark.parametrize(
    "url", ["ftp://aed.bg", "https://", "https://aed.bg/x?y=1", "https://a b.bg", "x" * 300]
)
def test_a_public_address_that_is_not_one_is_refused_at_start(url: str) -> None:
    with pytest.raises(ValueError, match="public_url"):
        ServerSettings(public_url=url)


def code_at(secret: str, when: datetime) -> str:
    return pyotp.TOTP(secret).at(when)


def test_a_second_factor_is_added_asked_for_at_login_used_once_and_removed(
    api: TestClient, tokens: Tokens, clock: MovableClock
) -> None:
    me = person(api, tokens, "elena@pernik.bg", "admin", areas=["pernik"])
    csrf = {"X-CSRF-Token": me["csrf_token"]}
    assert api.get("/api/v1/auth/second-factor").json() == {"enabled": False}
    begun = api.post("/api/v1/auth/second-factor", headers=csrf).json()
    assert begun["uri"].startswith("otpauth://totp/aedmon:elena%40pernik.bg?secret=")
    assert "<path" in begun["qr_svg"]
    secret = begun["secret"]
    wrong = api.post("/api/v1/auth/second-factor/confirm", json={"code": "000000"}, headers=csrf)
    assert wrong.status_code == 422
    confirm = {"code": code_at(secret, clock.now)}
    assert api.post("/api/v1/auth/second-factor/confirm", json=confirm, headers=csrf).status_code == 204
    assert api.get("/api/v1/auth/second-factor").json() == {"enabled": True}
    api.cookies.clear()

    asked = api.post("/api/v1/auth/login", json={"email": "elena@pernik.bg", "password": PASSWORD})
    assert asked.status_code == 401
    assert asked.headers["X-Aedmon-Second-Factor"] == "totp"
    bad = api.post(
        "/api/v1/auth/login", json={"email": "elena@pernik.bg", "password": "not it at all", "code": "123456"}
    )
    assert bad.status_code == 401
    assert "X-Aedmon-Second-Factor" not in bad.headers  # a wrong password says nothing of a code
    clock.advance(timedelta(seconds=31))
    good = {"email": "elena@pernik.bg", "password": PASSWORD, "code": code_at(secret, clock.now)}
    assert api.post("/api/v1/auth/login", json=good).status_code == 200
    api.cookies.clear()
    replayed = api.post("/api/v1/auth/login", json=good)
    assert replayed.status_code == 401  # a code works once
    assert "used already" in replayed.json()["detail"]
    clock.advance(timedelta(seconds=30))
    good["code"] = code_at(secret, clock.now)
    signed = api.post("/api/v1/auth/login", json=good).json()

    # The installation's admin removes it for someone who lost their phone.
    people = api.get("/api/v1/users", headers={"Authorization": f"Bearer {tokens.admin}"}).json()
    elena = next(p for p in people if p["email"] == "elena@pernik.bg")
    assert elena["second_factor"] is True
    reset = api.patch(f"/api/v1/users/{elena['id']}", json={"second_factor": False},
                      headers={"Authorization": f"Bearer {tokens.admin}"})  # fmt: skip
    assert reset.json()["second_factor"] is False
    assert api.get("/api/v1/auth/second-factor").status_code == 401  # the change ended her sessions
    assert signed["csrf_token"]
    assert api.post("/api/v1/auth/login", json={"email": "elena@pernik.bg", "password": PASSWORD}).is_success


def test_wrong_codes_are_slowed_like_wrong_passwords(
    api: TestClient, tokens: Tokens, clock: MovableClock
) -> None:
    me = person(api, tokens, "ivan@pernik.bg", "admin", areas=["pernik"])
    csrf = {"X-CSRF-Token": me["csrf_token"]}
    secret = api.post("/api/v1/auth/second-factor", headers=csrf).json()["secret"]
    api.post("/api/v1/auth/second-factor/confirm", json={"code": code_at(secret, clock.now)}, headers=csrf)
    api.cookies.clear()
    attempt = {"email": "ivan@pernik.bg", "password": PASSWORD, "code": "000000"}
    answers = [api.post("/api/v1/auth/login", json=attempt).status_code for _ in range(6)]
    assert answers == [401] * 5 + [429]
    clock.advance(timedelta(seconds=31))
    attempt["code"] = code_at(secret, clock.now)
    assert api.post("/api/v1/auth/login", json=attempt).status_code == 429  # even the right one waits


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "12 456", "１２３４５６", "", None, 123456])
def test_a_malformed_code_is_refused_before_anything_is_checked(
    api: TestClient, tokens: Tokens, code: object
) -> None:
    me = person(api, tokens, "maria@pernik.bg", "admin", areas=["pernik"])
    csrf = {"X-CSRF-Token": me["csrf_token"]}
    for path in ("/api/v1/auth/second-factor/confirm", "/api/v1/auth/second-factor/remove"):
        assert api.post(path, json={"code": code}, headers=csrf).status_code == 422
    login = {"email": "maria@pernik.bg", "password": PASSWORD, "code": code}
    assert api.post("/api/v1/auth/login", json=login).status_code == (200 if code is None else 422)


def test_a_key_has_no_second_factor(api: TestClient, tokens: Tokens) -> None:
    admin = {"Authorization": f"Bearer {tokens.admin}"}
    assert api.post("/api/v1/auth/second-factor", headers=admin).status_code == 403
    assert api.get("/api/v1/auth/second-factor", headers=admin).status_code == 403
