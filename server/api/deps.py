"""Dependencies, each declared once as an Annotated alias and used as a plain type."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Path, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator
from sqlalchemy.orm import Session, sessionmaker

from aedmon.clock import Clock
from aedmon.reading import ID_PATTERN, lower_site
from server import store
from server.access import Access, Principal
from server.accounts import digest
from server.api.edge import SESSION_COOKIE
from server.i18n import DEFAULT_LANGUAGE, Words
from server.rules.facts import Policy
from server.settings import Role
from server.store.models import INT32_MAX

bearer = HTTPBearer(auto_error=False)

# Which roles may do what: admin may do all a technician may, a technician all staff may,
# staff all a viewer may.
READERS = frozenset({Role.VIEWER, Role.STAFF, Role.TECHNICIAN, Role.ADMIN})
INSPECTORS = frozenset({Role.STAFF, Role.TECHNICIAN, Role.ADMIN})
ACKNOWLEDGERS = frozenset({Role.TECHNICIAN, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})
INGESTERS = frozenset({Role.BRIDGE, Role.ADMIN})


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def get_now(clock: Annotated[Clock, Depends(get_clock)]) -> datetime:
    return clock()


def get_policy(request: Request) -> Policy:
    policy: Policy = request.app.state.policy
    return policy


class Speaker:
    """Says things in the language a request asked for (`?lang=`, English by default), in each
    site's time zone, or the installation's for a site that names none."""

    def __init__(self, language: str, default_zone: str) -> None:
        self.language, self.default_zone = language, default_zone

    def at(self, zones: dict[str, str | None], site: str) -> Words:
        return Words(self.language, zones.get(site) or self.default_zone)


def get_speaker(
    request: Request,
    lang: Annotated[
        Literal["en", "bg", "uk", "cs"] | None, Query(description="the language of texts: en, bg, uk, cs")
    ] = None,
) -> Speaker:
    return Speaker(lang or DEFAULT_LANGUAGE, request.app.state.time_zone)


def role_for(tokens: dict[str, Role], given: bytes) -> Role | None:
    """The role of a presented bootstrap token, compared in constant time; None for another."""
    for token, role in tokens.items():
        if hmac.compare_digest(token.encode(), given):
            return role
    return None


def key_hash(key: str | bytes) -> str:
    """What is kept of an API key: keys are 32 random bytes, so SHA-256 is enough (a slow
    password hash would only slow every request)."""
    return hashlib.sha256(key.encode() if isinstance(key, str) else key).hexdigest()


def token_checker(
    sessions: sessionmaker[Session], tokens: dict[str, Role], clock: Clock
) -> Callable[[bytes | None, str | None], bool]:
    """Whether a bearer token is a bootstrap token or a key not revoked, or a session cookie a
    live session: the HTTP edge's question before it reads a body."""

    def known(token: bytes | None, cookie: str | None) -> bool:
        if token is not None and role_for(tokens, token) is not None:
            return True
        with sessions() as session:
            if token is not None:
                return store.keys.by_hash(session, key_hash(token)) is not None
            return cookie is not None and store.users.session_of(session, digest(cookie), clock()) is not None

    return known


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _person(request: Request, session: Session) -> Principal | None:
    """The signed-in person of the session cookie; a state-changing request made with it must
    carry its CSRF token in X-CSRF-Token."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    found = store.users.session_of(session, digest(cookie), request.app.state.clock())
    if found is None:
        return None
    row, user = found
    if request.method not in SAFE_METHODS:
        given = request.headers.get("x-csrf-token", "")
        if not hmac.compare_digest(given.encode(), row.csrf.encode()):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, "X-CSRF-Token is missing or wrong for this session"
            )
    return Principal(
        user.email,
        Role(user.role),
        frozenset(user.sites),
        frozenset(user.areas),
        user_id=user.id,
        csrf=row.csrf,
    )


def _principal(
    request: Request, session: Session, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    if credentials is None or not credentials.credentials:
        person = _person(request, session)
        if person is not None:
            return person
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    given = credentials.credentials.encode()
    role = role_for(request.app.state.tokens, given)
    if role is not None:  # a bootstrap token: its role over everything
        return Principal(role.value, role)
    key = store.keys.by_hash(session, key_hash(given))
    if key is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "unknown token", headers={"WWW-Authenticate": "Bearer"}
        )
    now = request.app.state.clock()
    if key.last_used_at is None or key.last_used_at < now - store.keys.NOTE_USE_EVERY:
        # Noted and committed at once, in the request's own session, before the route has done
        # anything: a second session would wait for this one's write lock on SQLite.
        store.keys.touch(session, key.id, now)
        session.commit()
    return Principal(key.name, Role(key.role), frozenset(key.sites), frozenset(key.areas), key.id)


def access_of(session: Session, principal: Principal) -> Access:
    """The sites a principal sees: its own, and those of its areas."""
    if principal.everything:
        return Access(principal)
    visible = set(principal.sites) | store.sites.of_areas(session, sorted(principal.areas))
    return Access(principal, frozenset(visible))


def require(roles: frozenset[Role]) -> Callable[..., Access]:
    def check(
        request: Request,
        session: Annotated[Session, Depends(get_session)],
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Access:
        principal = _principal(request, session, credentials)
        if principal.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"the {principal.role} role may not do this")
        return access_of(session, principal)

    return check


SessionDep = Annotated[Session, Depends(get_session)]
NowDep = Annotated[datetime, Depends(get_now)]
PolicyDep = Annotated[Policy, Depends(get_policy)]
SpeakerDep = Annotated[Speaker, Depends(get_speaker)]
# Each is the caller's Access: its principal (name, role) and the sites it sees.
AnyRole = Annotated[Access, Depends(require(frozenset(Role)))]
ViewerRole = Annotated[Access, Depends(require(READERS))]
InspectorRole = Annotated[Access, Depends(require(INSPECTORS))]
TechnicianRole = Annotated[Access, Depends(require(ACKNOWLEDGERS))]
AdminRole = Annotated[Access, Depends(require(ADMINS))]
BridgeRole = Annotated[Access, Depends(require(INGESTERS))]

AlertId = Annotated[int, Path(ge=1, le=INT32_MAX, description="an alert's id")]
ContactId = Annotated[int, Path(ge=1, le=INT32_MAX, description="a contact's id")]
SilenceId = Annotated[int, Path(ge=1, le=INT32_MAX, description="a maintenance window's id")]
AlertIdFilter = Annotated[int | None, Query(ge=1, le=INT32_MAX, description="only this alert's")]


# A site named in a query: case-insensitive, as every site id (aedmon.reading.SiteId).
SiteQuery = Annotated[str | None, Query(pattern=ID_PATTERN), AfterValidator(lower_site)]
