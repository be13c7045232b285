"""The audit of changes to devices, contacts, people and keys: appended, never changed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .models import AuditEntry


def note(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    subject_id: str,
    site: str | None = None,
    changes: dict[str, Any] | None = None,
) -> None:
    """Append one entry (the caller's transaction commits it with the change itself)."""
    session.add(
        AuditEntry(
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            subject_id=subject_id,
            site=site,
            changes=changes or {},
        )
    )


def listed(
    session: Session,
    *,
    sites: frozenset[str] | None,
    actor: str | None = None,
    subject: str | None = None,
    subject_id: str | None = None,
    limit: int = 100,
) -> Sequence[AuditEntry]:
    """The newest entries first; with `sites`, only theirs, and those of no site that `actor`
    made (entries of no site are otherwise for those who see everything)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if sites is not None:
        mine = AuditEntry.site.is_(None) & (AuditEntry.actor == actor)
        query = query.where(or_(AuditEntry.site.in_(sorted(sites)), mine))
    if subject is not None:
        query = query.where(AuditEntry.subject == subject)
    if subject_id is not None:
        query = query.where(AuditEntry.subject_id == subject_id)
    return session.scalars(query).all()
