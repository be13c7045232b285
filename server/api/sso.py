"""Single sign-on with OpenID Connect (Authlib), for organisations with their own identity
provider. `/auth/oidc/login` sends the reader there; `/auth/oidc/callback` takes the code
back, checks the ID token (signature, issuer, audience, nonce) and signs in the invited,
enabled person whose e-mail the provider has verified. No one is made here: a person must
be invited first, as with a password.

The state and nonce wait in a short-lived cookie signed with a key derived from the client
secret, which every server of an installation shares."""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any
from urllib.parse import urlencode

from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware

from server import accounts
from server.accounts import AccountError
from server.settings import ServerSettings

from .auth import set_session_cookie

log = logging.getLogger(__name__)
router = APIRouter(prefix="/auth/oidc", include_in_schema=False)
STATE_COOKIE = "aedmon_sso"
STATE_FOR_S = 600


def install(app: FastAPI, settings: ServerSettings) -> None:
    """Register the provider and the state cookie, when the settings name a provider."""
    app.state.sso = None
    app.state.sso_name = settings.oidc_name
    if not settings.oidc_issuer:
        return
    assert settings.oidc_client_id  # the settings check both
    assert settings.oidc_client_secret
    oauth = OAuth()
    oauth.register(
        "provider",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
    )
    app.state.sso = oauth.create_client("provider")
    key = hmac.new(settings.oidc_client_secret.encode(), b"aedmon sign-on state", hashlib.sha256).hexdigest()
    secure = (settings.public_url or "").startswith("https://")
    app.add_middleware(
        SessionMiddleware,
        secret_key=key,
        session_cookie=STATE_COOKIE,
        max_age=STATE_FOR_S,
        same_site="lax",
        https_only=secure,
    )


def _back(request: Request, path: str) -> str:
    base = request.app.state.public_url or str(request.base_url)
    return base.rstrip("/") + path


def _next(value: str | None) -> str:
    """Where to go after signing in: a path of this server, never another site."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value[:500]
    return "/board"


def _refused(request: Request, why: str) -> RedirectResponse:
    log.warning("single sign-on refused", extra={"why": why})
    return RedirectResponse(_back(request, "/login?" + urlencode({"sso": why})), status_code=303)


@router.get("/login")
async def sso_login(request: Request, next: str | None = None) -> Response:  # noqa: A002  (the page's word)
    client: Any = request.app.state.sso
    if client is None:
        return Response("single sign-on is not set up here", status_code=404)
    request.session["next"] = _next(next)
    try:
        answer: Response = await client.authorize_redirect(request, _back(request, "/auth/oidc/callback"))
    except (OAuthError, OSError, ValueError) as exc:  # the provider cannot be reached or read
        log.warning("identity provider unreachable", extra={"error": exc.__class__.__name__})
        return _refused(request, "unavailable")
    return answer


@router.get("/callback")
async def sso_callback(request: Request) -> Response:
    client: Any = request.app.state.sso
    if client is None:
        return Response("single sign-on is not set up here", status_code=404)
    try:
        token = await client.authorize_access_token(request)
        claims = dict(token.get("userinfo") or {})
        if not claims.get("email"):
            claims.update(await client.userinfo(token=token))
    except (OAuthError, OSError, ValueError, KeyError) as exc:
        log.warning("single sign-on failed", extra={"error": exc.__class__.__name__})
        return _refused(request, "failed")
    email = claims.get("email")
    if not isinstance(email, str) or not email or claims.get("email_verified") is not True:
        return _refused(request, "unverified")
    try:
        signed = await run_in_threadpool(_sign_in, request, email.strip().lower())
    except AccountError:
        return _refused(request, "not_invited")
    answer = RedirectResponse(_back(request, _next(request.session.pop("next", None))), status_code=303)
    set_session_cookie(request, answer, signed.cookie)
    log.info("signed in through single sign-on", extra={"user": signed.user.id})
    return answer


def _sign_in(request: Request, email: str) -> accounts.SignedIn:
    sessions = request.app.state.sessions
    now = request.app.state.clock()
    with sessions() as session:
        signed = accounts.single_sign_on(session, email, now)
        session.commit()
        return signed
