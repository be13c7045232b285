"""Signing in: accept an invitation (set the password once), log in and out, change one's own
password. The session cookie is HttpOnly, SameSite=Lax and Secure behind https; a change made
with it must carry the session's CSRF token."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse

from server import accounts, store
from server.access import Access
from server.accounts import AccountError, SecondFactorNeeded, Throttled
from server.store.models import User

from . import audit
from .deps import AnyRole, NowDep, SessionDep
from .edge import SESSION_COOKIE
from .schemas import CodeIn, InviteIn, LoginIn, PasswordIn, SecondFactorOut, WhoAmI
from .stickers import qr_svg

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/auth", tags=["session"])
SECOND_FACTOR = "X-Aedmon-Second-Factor"  # on a 401: the password was right, a code is wanted
DEVICE_COOKIE = "aedmon_device"  # a browser the person signed in from (server.accounts)
DEVICE_VALID_S = 400 * 24 * 3600  # as long as a browser keeps a cookie


def address_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"


@router.post("/invite")
def accept_invite(body: InviteIn, session: SessionDep, now: NowDep) -> dict[str, str]:
    """Set one's password with the invitation's token; the token works once."""
    try:
        user = accounts.accept_invite(session, body.token, body.password, now)
    except AccountError as exc:
        raise HTTPException(422, str(exc)) from None
    session.commit()
    log.info("invitation accepted", extra={"user": user.id})
    return {"email": user.email}


@router.post("/login")
def login(body: LoginIn, request: Request, session: SessionDep, now: NowDep) -> JSONResponse:
    """Sign in: sets the session cookie and answers who one is, with the CSRF token."""
    try:
        signed = accounts.login(
            session, body.email, body.password, address_of(request), now, body.code,
            request.cookies.get(DEVICE_COOKIE),
        )  # fmt: skip
    except SecondFactorNeeded as exc:
        session.commit()
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc), headers={SECOND_FACTOR: "totp"}) from None
    except Throttled as exc:
        session.commit()
        raise HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after_s)}) from None
    except AccountError as exc:
        session.commit()  # the failure is counted
        log.warning("login failed", extra={"address": address_of(request)})
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc)) from None
    session.commit()
    user = signed.user
    me = WhoAmI(name=user.email, role=user.role, sites=user.sites, areas=user.areas, csrf_token=signed.csrf)
    answer = JSONResponse(me.model_dump(mode="json"))
    set_session_cookie(request, answer, signed.cookie)
    if signed.device is not None:  # this browser is the person's from now on
        answer.set_cookie(
            DEVICE_COOKIE, signed.device, max_age=DEVICE_VALID_S, httponly=True, samesite="strict",
            secure=_secure(request), path="/api/v1/auth/login",
        )  # fmt: skip
    log.info("signed in", extra={"user": user.id})
    return answer


def set_session_cookie(request: Request, answer: Response, cookie: str) -> None:
    """The session's cookie: HttpOnly, SameSite=Lax, Secure when the reader came over https."""
    answer.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int(accounts.SESSION_VALID.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


@router.post("/logout")
def logout(request: Request, session: SessionDep, now: NowDep, _: AnyRole) -> Response:
    """End this session (with the CSRF token, as any change)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        store.users.end_session(session, accounts.digest(cookie), now)
        session.commit()
    answer = Response(status_code=status.HTTP_204_NO_CONTENT)
    answer.delete_cookie(SESSION_COOKIE, path="/")
    return answer


@router.post("/password")
def change_password(body: PasswordIn, session: SessionDep, now: NowDep, access: AnyRole) -> Response:
    """Change one's own password; every session of one's ends, this one too."""
    if access.principal.user_id is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only a signed-in person has a password")
    user = store.users.get(session, access.principal.user_id)
    assert user is not None
    try:
        accounts.change_password(session, user, body.current, body.new, now)
    except AccountError as exc:
        raise HTTPException(422, str(exc)) from None
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _person(session: SessionDep, access: Access) -> User:
    if access.principal.user_id is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only a signed-in person has a second factor")
    user = store.users.get(session, access.principal.user_id)
    assert user is not None
    return user


@router.get("/second-factor")
def second_factor_state(session: SessionDep, access: AnyRole) -> dict[str, bool]:
    """Whether this person signs in with a one-time code too."""
    return {"enabled": _person(session, access).second_factor}


@router.post("/second-factor")
def begin_second_factor(session: SessionDep, access: AnyRole) -> SecondFactorOut:
    """Start adding a second factor: scan the QR code with an authenticator app, then confirm
    with a code from it. Until then nothing changes at login."""
    user = _person(session, access)
    secret, uri = accounts.begin_second_factor(user)
    session.commit()
    return SecondFactorOut(secret=secret, uri=uri, qr_svg=qr_svg(uri))


@router.post("/second-factor/confirm", status_code=status.HTTP_204_NO_CONTENT)
def confirm_second_factor(body: CodeIn, session: SessionDep, now: NowDep, access: AnyRole) -> None:
    """From now on this person's logins need a code too."""
    user = _person(session, access)
    try:
        accounts.confirm_second_factor(user, body.code, now)
    except AccountError as exc:
        raise HTTPException(422, str(exc)) from None
    audit.note(session, access, audit.Subject.USER, user.email, "second factor added", now, site=None)
    session.commit()


@router.post("/second-factor/remove", status_code=status.HTTP_204_NO_CONTENT)
def remove_second_factor(body: CodeIn, session: SessionDep, now: NowDep, access: AnyRole) -> None:
    """Sign in with the password alone again (a current code proves it is the person)."""
    user = _person(session, access)
    try:
        accounts.remove_second_factor(user, body.code, now)
    except AccountError as exc:
        raise HTTPException(422, str(exc)) from None
    audit.note(session, access, audit.Subject.USER, user.email, "second factor removed", now, site=None)
    session.commit()
