"""People: an admin invites a person (a one-time link), changes their role, sites or areas, or
disables them. An admin of some areas sees and manages the people of those only, and grants no
more than it holds."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, HTTPException, Path, Request, status
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server import accounts, store
from server.access import Access
from server.i18n import Words
from server.notify.channels import ChannelError
from server.notify.messages import Message
from server.notify.smtp import EmailChannel
from server.store.models import INT32_MAX, User

from . import audit
from .deps import AdminRole, NowDep, SessionDep
from .schemas import Invited, UserIn, UserOut, UserPatch

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/users", tags=["people"])
UserId = Annotated[int, Path(ge=1, le=INT32_MAX, description="a person's id")]


def _within(access: Access, user: User) -> bool:
    return access.may_grant(user.sites, user.areas)


def _get(session: Session, access: Access, user_id: int) -> User:
    user = store.users.get(session, user_id)
    if user is None or not _within(access, user):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no person {user_id}")
    return user


def _said(body: BaseModel) -> dict[str, Any]:
    return body.model_dump(mode="json", exclude_unset=True)


def invite_url(request: Request, token: str) -> str:
    """The link to send: at the installation's public address when it has one (behind a proxy
    the address asked on is the proxy's inside one), else where this request came."""
    base = request.app.state.public_url or str(request.base_url)
    return f"{base.rstrip('/')}/invite#token={token}"


@router.post("", status_code=status.HTTP_201_CREATED)
def invite(
    body: UserIn,
    request: Request,
    tasks: BackgroundTasks,
    session: SessionDep,
    now: NowDep,
    access: AdminRole,
) -> Invited:
    """Invite a person: their password is set through the link, once, within a week."""
    if not access.may_grant(body.sites, body.areas):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a person may be given only sites and areas you hold")
    if store.users.by_email(session, body.email) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, "someone has this e-mail already")
    user = User(
        email=body.email.lower(),
        name=body.name,
        role=body.role.value,
        language=body.language.value,
        time_zone=body.time_zone,
        sites=sorted(set(body.sites)),
        areas=sorted(set(body.areas)),
        created_at=now,
        created_by=access.name,
    )
    token = accounts.new_invite(user, now)
    try:
        store.users.add(session, user)
        audit.note(session, access, audit.Subject.USER, user.email, "invited", now, _said(body))
        session.commit()
    except IntegrityError:  # invited by another admin a moment ago
        session.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT, "someone has this e-mail already") from None
    log.info("person invited", extra={"user": user.id, "role": user.role, "by": access.name})
    link = invite_url(request, token)
    mailer: EmailChannel = request.app.state.mailer
    if mailer.host:  # sent once the answer is out; the admin has the link either way
        tasks.add_task(_mail_invitation, mailer, user, access.name, link)
    return Invited(id=user.id, invite_token=token, invite_url=link, emailed=bool(mailer.host))


def _mail_invitation(mailer: EmailChannel, user: User, by: str, link: str) -> None:
    words = Words(user.language, user.time_zone or "UTC")
    message = Message(
        words("notice.invite_subject"), words("notice.invite_text", name=user.name, by=by, url=link)
    )
    try:
        mailer.mail(user.email, message)
        log.info("invitation e-mailed", extra={"user": user.id})
    except ChannelError as exc:
        log.warning(
            "invitation not e-mailed; give the person the link", extra={"user": user.id, "error": str(exc)}
        )


@router.get("")
def list_people(session: SessionDep, access: AdminRole) -> list[UserOut]:
    return [UserOut.model_validate(user) for user in store.users.listed(session) if _within(access, user)]


@router.patch("/{user_id}")
def change_person(
    user_id: UserId, body: UserPatch, session: SessionDep, now: NowDep, access: AdminRole
) -> UserOut:
    """Change a person's name, role, sites, areas or language, or disable them (or enable again)."""
    user = _get(session, access, user_id)
    changes = body.model_dump(exclude_unset=True)
    for name in ("name", "role", "language", "sites", "areas", "disabled"):
        if name in changes and changes[name] is None:
            raise HTTPException(422, f"{name} cannot be null")
    sites = sorted(set(changes.get("sites", user.sites)))
    areas = sorted(set(changes.get("areas", user.areas)))
    if not access.may_grant(sites, areas):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a person may be given only sites and areas you hold")
    user.sites, user.areas = sites, areas
    for name in ("name", "role", "language"):
        if name in changes:
            setattr(user, name, str(changes[name]))
    if "time_zone" in changes:
        user.time_zone = changes["time_zone"]
    if changes.get("second_factor") is False:
        user.totp_secret = user.totp_pending = None
    if changes.get("disabled") is True and user.disabled_at is None:
        user.disabled_at = now
    elif changes.get("disabled") is False:
        user.disabled_at = None
    store.users.end_sessions_of(session, user.id, now)  # a change takes effect at their next sign-in
    audit.note(session, access, audit.Subject.USER, user.email, "changed", now, _said(body))
    session.commit()
    log.info("person changed", extra={"user": user.id, "by": access.name})
    return UserOut.model_validate(user)


@router.delete("/{user_id}")
def disable_person(user_id: UserId, session: SessionDep, now: NowDep, access: AdminRole) -> UserOut:
    """Disable a person at once (their sessions end); they stay on record, as does what they did."""
    user = _get(session, access, user_id)
    if user.disabled_at is None:
        user.disabled_at = now
        audit.note(session, access, audit.Subject.USER, user.email, "disabled", now)
    store.users.end_sessions_of(session, user.id, now)
    session.commit()
    log.info("person disabled", extra={"user": user.id, "by": access.name})
    return UserOut.model_validate(user)
