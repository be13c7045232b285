"""Contacts: who hears of which alerts (site, least severity), how, in which language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import select

from server.store.models import Contact, Notification

from .deps import AdminRole, NowDep, SessionDep, TechnicianRole
from .schemas import ContactIn, ContactOut, NotificationOut

router = APIRouter(prefix="/api/v1", tags=["contacts"])


def _get(session: SessionDep, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no contact {contact_id}")
    return contact


@router.post("/contacts", status_code=status.HTTP_201_CREATED)
def create_contact(body: ContactIn, session: SessionDep, now: NowDep, _: AdminRole) -> ContactOut:
    contact = Contact(**body.model_dump(mode="json"), created_at=now)
    session.add(contact)
    session.commit()
    return ContactOut.model_validate(contact)


@router.get("/contacts")
def list_contacts(session: SessionDep, _: TechnicianRole) -> list[ContactOut]:
    return [ContactOut.model_validate(c) for c in session.scalars(select(Contact).order_by(Contact.id))]


@router.put("/contacts/{contact_id}")
def replace_contact(contact_id: int, body: ContactIn, session: SessionDep, _: AdminRole) -> ContactOut:
    contact = _get(session, contact_id)
    for name, value in body.model_dump(mode="json").items():
        setattr(contact, name, value)
    session.commit()
    return ContactOut.model_validate(contact)


@router.get("/notifications")
def list_notifications(
    session: SessionDep,
    _: TechnicianRole,
    alert_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[NotificationOut]:
    """What was told to whom, on which channel, and what failed."""
    query = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if alert_id is not None:
        query = query.where(Notification.alert_id == alert_id)
    return [NotificationOut.model_validate(n) for n in session.scalars(query)]
