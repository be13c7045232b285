"""The first administrator, without curl.

A server that starts with no people and no API tokens makes a one-time setup token and says
the link (`/setup#token=…`, the token in the fragment, which browsers never send) in its log
and on its terminal. The page makes the first administrator with it, in the language they
chose, and the installation's name, time zone and first area. The token works once, and only
while nobody exists: a restart before it is used says a new link; once a person exists every
link is dead and the page says so.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import sys
import threading
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aedmon.reading import ID_PATTERN
from server import accounts, store
from server.store.models import Area, Installation, User

from .deps import NowDep, SessionDep
from .schemas import Email, Language, Line, Password, _known_zone

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/setup", tags=["session"])
INSTALLATION_ID = 1


class SetupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: Annotated[str, Field(min_length=1, max_length=200)]
    name: Line = Field(min_length=1, max_length=200, description="the first administrator's name")
    email: Email
    password: Annotated[Password, Field(min_length=accounts.PASSWORD_MIN)]
    language: Language = Language.EN
    installation: Line = Field(min_length=1, max_length=200, description="e.g. Pernik municipality AEDs")
    time_zone: Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_known_zone)]
    area: Annotated[str, Field(pattern=ID_PATTERN)] = Field(description="the first area's id, e.g. pernik")
    area_name: Line = Field(default="", max_length=200)


class SetupLink:
    """The one-time token while nobody exists (kept as a hash only)."""

    def __init__(self) -> None:
        self._hash: bytes | None = None
        self._lock = threading.Lock()

    @property
    def open(self) -> bool:
        return self._hash is not None

    def make(self) -> str:
        token = secrets.token_urlsafe(24)
        self._hash = hashlib.sha256(token.encode()).digest()
        return token

    def take(self, token: str) -> bool:
        """Whether the token is the link's; the link is closed by the one who takes it."""
        with self._lock:
            given = hashlib.sha256(token.encode()).digest()
            if self._hash is None or not hmac.compare_digest(given, self._hash):
                return False
            self._hash = None
            return True

    def close(self) -> None:
        self._hash = None


def nobody(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(User))


def offer(link: SetupLink, session: Session, tokens: Mapping[str, object], base_url: str) -> None:
    """At start: with no people and no tokens, make the link and say it where the operator looks."""
    if tokens or not nobody(session):
        return
    url = f"{base_url.rstrip('/')}/setup#token={link.make()}"
    log.warning("no one can use this server yet: make the first administrator at %s", url)
    print(f"aedmon server: make the first administrator at {url}", file=sys.stderr, flush=True)  # noqa: T201


def installation(session: Session) -> Installation | None:
    return session.get(Installation, INSTALLATION_ID)


@router.post("", status_code=status.HTTP_201_CREATED)
def set_up(body: SetupIn, request: Request, session: SessionDep, now: NowDep) -> dict[str, str]:
    """Make the first administrator and the installation with the setup link's token; once."""
    link: SetupLink = request.app.state.setup
    if not nobody(session):
        link.close()
        raise HTTPException(status.HTTP_410_GONE, "this installation is set up; sign in")
    if not link.take(body.token):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "this setup link is not valid (used, or from an earlier start)"
        )
    area = session.get(Area, body.area)
    if area is None:
        session.add(Area(id=body.area, name=body.area_name, created_at=now))
    elif body.area_name:
        area.name = body.area_name
    session.merge(
        Installation(id=INSTALLATION_ID, name=body.installation, time_zone=body.time_zone, set_up_at=now,
                     set_up_by=body.email.lower())
    )  # fmt: skip
    admin = User(
        email=body.email.lower(), name=body.name, role="admin", language=body.language.value,
        time_zone=body.time_zone, sites=[], areas=[], created_at=now, created_by="setup link",
    )  # fmt: skip
    invitation = accounts.new_invite(admin, now)
    store.users.add(session, admin)
    session.flush()
    accounts.accept_invite(session, invitation, body.password, now)  # its length checked above
    store.audit.note(session, at=now, actor="setup link", action="set up", subject="user",
                     subject_id=str(admin.id), changes={"installation": body.installation,
                     "time_zone": body.time_zone, "area": body.area})  # fmt: skip
    session.commit()
    request.app.state.time_zone = body.time_zone
    log.info("installation set up", extra={"user": admin.id})
    return {"email": admin.email}
