"""The audit: who changed which device, contact, person or key, when, and what they sent.

Alerts keep their own trail (each alert's history names its actor) and inspections their
recorder; this is the rest. Entries of a device are seen within its site's scope; entries
of people, keys and contacts by admins of everything, and by the admin who made them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from aedmon.reading import ID_PATTERN
from server import store
from server.access import Access

from .deps import AdminRole, SessionDep

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class Subject(StrEnum):
    DEVICE = "device"
    CONTACT = "contact"
    USER = "user"
    KEY = "key"


class AuditOut(BaseModel):
    at: datetime
    actor: str
    action: str
    subject: Subject
    subject_id: str
    site: str | None
    changes: dict[str, Any]


def note(
    session: Session,
    access: Access,
    subject: Subject,
    subject_id: str | int,
    action: str,
    now: datetime,
    changes: dict[str, Any] | None = None,
    site: str | None = None,
) -> None:
    """Record a change in the caller's transaction, so it is kept exactly when the change is."""
    store.audit.note(
        session,
        at=now,
        actor=access.name,
        action=action,
        subject=subject.value,
        subject_id=str(subject_id),
        site=site,
        changes=changes,
    )


@router.get("")
def list_audit(
    session: SessionDep,
    access: AdminRole,
    subject: Subject | None = None,
    device: Annotated[str | None, Query(pattern=ID_PATTERN, description="one device's entries")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditOut]:
    """The newest changes first."""
    if device is not None:
        subject = Subject.DEVICE
    found = store.audit.listed(
        session,
        sites=access.visible,
        actor=None if access.visible is None else access.name,
        subject=subject.value if subject else None,
        subject_id=device,
        limit=limit,
    )
    return [
        AuditOut(
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            subject=Subject(entry.subject),
            subject_id=entry.subject_id,
            site=entry.site,
            changes=entry.changes,
        )
        for entry in found
    ]
