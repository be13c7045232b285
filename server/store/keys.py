"""API keys: only each key's SHA-256 is kept, looked up by it; revoked keys stay on record."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from .models import ApiKey


def add(session: Session, key: ApiKey) -> ApiKey:
    session.add(key)
    session.flush()
    return key


def get(session: Session, key_id: int) -> ApiKey | None:
    return session.get(ApiKey, key_id)


def by_hash(session: Session, key_hash: str) -> ApiKey | None:
    """The key with this hash, unless it is revoked."""
    return session.scalars(
        select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
    ).first()


def listed(session: Session) -> Sequence[ApiKey]:
    return session.scalars(select(ApiKey).order_by(ApiKey.id)).all()


# A key's use is noted at most this often, so a busy bridge does not write on each batch.
NOTE_USE_EVERY = timedelta(minutes=1)


def touch(session: Session, key_id: int, now: datetime) -> None:
    """Note the key's use, unless another request (or server) noted it within NOTE_USE_EVERY."""
    session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id)
        .where(or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - NOTE_USE_EVERY))
        .values(last_used_at=now)
    )
