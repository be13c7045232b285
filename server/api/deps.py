"""Dependencies, each declared once as an Annotated alias and used as a plain type."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Path, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from aedmon.clock import Clock
from server.i18n import DEFAULT_LANGUAGE, Words
from server.rules.facts import Policy
from server.settings import Role
from server.store.models import INT32_MAX

_bearer = HTTPBearer(auto_error=False)

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
    """The role of a presented token, compared in constant time; None for an unknown one."""
    for token, role in tokens.items():
        if hmac.compare_digest(token.encode(), given):
            return role
    return None


def _role_of(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Role:
    if credentials is None or not credentials.credentials:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    role = role_for(request.app.state.tokens, credentials.credentials.encode())
    if role is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "unknown token", headers={"WWW-Authenticate": "Bearer"}
        )
    return role


def require(roles: frozenset[Role]) -> Callable[..., Role]:
    def check(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Role:
        role = _role_of(request, credentials)
        if role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"the {role} role may not do this")
        return role

    return check


SessionDep = Annotated[Session, Depends(get_session)]
NowDep = Annotated[datetime, Depends(get_now)]
PolicyDep = Annotated[Policy, Depends(get_policy)]
SpeakerDep = Annotated[Speaker, Depends(get_speaker)]
AnyRole = Annotated[Role, Depends(require(frozenset(Role)))]
ViewerRole = Annotated[Role, Depends(require(READERS))]
InspectorRole = Annotated[Role, Depends(require(INSPECTORS))]
TechnicianRole = Annotated[Role, Depends(require(ACKNOWLEDGERS))]
AdminRole = Annotated[Role, Depends(require(ADMINS))]
BridgeRole = Annotated[Role, Depends(require(INGESTERS))]

AlertId = Annotated[int, Path(ge=1, le=INT32_MAX, description="an alert's id")]
ContactId = Annotated[int, Path(ge=1, le=INT32_MAX, description="a contact's id")]
SilenceId = Annotated[int, Path(ge=1, le=INT32_MAX, description="a maintenance window's id")]
AlertIdFilter = Annotated[int | None, Query(ge=1, le=INT32_MAX, description="only this alert's")]
