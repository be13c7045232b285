"""People, their sessions, and failed logins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from . import changes
from .models import LoginFailure, TrustedDevice, User, UserSession


def add(session: Session, user: User) -> User:
    session.add(user)
    session.flush()
    return user


def get(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == email.lower())).first()


def by_invite(session: Session, invite_hash: str) -> User | None:
    return session.scalars(select(User).where(User.invite_hash == invite_hash)).first()


def listed(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.id)).all()


def add_session(session: Session, row: UserSession) -> None:
    session.add(row)
    session.flush()


def session_of(session: Session, session_hash: str, now: datetime) -> tuple[UserSession, User] | None:
    """The live session with this hash and its person, unless it expired or they are disabled."""
    found = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.id == session_hash, UserSession.expires_at > now, User.disabled_at.is_(None))
    ).first()
    return None if found is None else (found[0], found[1])


def end_session(session: Session, session_hash: str, now: datetime) -> None:
    session.execute(delete(UserSession).where(UserSession.id == session_hash))
    changes.access_changed(session, now)


def end_sessions_of(session: Session, user_id: int, now: datetime) -> None:
    """End the person's sessions, and so their open streams, on every server."""
    session.execute(delete(UserSession).where(UserSession.user_id == user_id))
    changes.access_changed(session, now)


def trust_device(session: Session, device_hash: str, user_id: int, now: datetime) -> None:
    session.add(TrustedDevice(id=device_hash, user_id=user_id, created_at=now))


def trusts_device(session: Session, device_hash: str, user_id: int) -> bool:
    """Whether the person has signed in from the browser with this device cookie."""
    device = session.get(TrustedDevice, device_hash)
    return device is not None and device.user_id == user_id


def note_failure(session: Session, subject: str, now: datetime) -> None:
    session.add(LoginFailure(subject=subject[:400], at=now))


def failures_since(session: Session, subject: str, since: datetime) -> int:
    found = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.subject == subject[:400], LoginFailure.at >= since)
    )
    return int(found or 0)


def forget_failures(session: Session, subject: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.subject == subject[:400]))


def prune_failures(session: Session, before: datetime) -> None:
    """Forget failed logins older than the window that counts them: the table stays small
    whatever a guesser sends."""
    session.execute(delete(LoginFailure).where(LoginFailure.at < before))
