"""Contacts: who hears of which alerts (site, least severity), how, in which language."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from server import store
from server.access import Access
from server.i18n import Words
from server.notify.messages import Message
from server.notify.notifier import Notifier
from server.notify.services import Services
from server.store.models import Contact

from . import audit
from .deps import AdminRole, AlertIdFilter, ContactId, NowDep, SessionDep, TechnicianRole
from .schemas import ContactIn, ContactOut, NotificationOut

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["contacts"])


def _get(session: SessionDep, access: Access, contact_id: int) -> Contact:
    """The contact, if all the sites it hears of are the caller's (one that hears of every site
    is an installation-wide admin's); else 404, as if it did not exist."""
    contact = store.contacts.get(session, contact_id)
    if contact is None or not access.sees_all(contact.sites):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no contact {contact_id}")
    return contact


def _may_tell(access: Access, body: ContactIn, request: Request) -> None:
    if not access.sees_all(body.sites):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such site")
    services: Services = request.app.state.services.services
    for place, entry in enumerate(body.channels):
        service = services.get(entry.service)
        if service is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_ENTITY,
                f"channels[{place}]: no service {entry.service!r} in the channels file",
            )
        try:
            service.check(entry.address)
        except ValueError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, f"channels[{place}]: {exc}") from None


def _columns(body: ContactIn) -> dict[str, object]:
    """The contact's columns: JSON's forms, but a day stays a day."""
    return {**body.model_dump(mode="json"), "paused_until": body.paused_until}


class ServiceOut(BaseModel):
    name: str
    address: str = Field(
        description="what a contact's address on it is: phone, chat, topic, email, matrix, id"
    )
    shape: str = Field(description="how messages are written for it: sms, chat or text")
    url: str = Field(description="its Apprise URL in Apprise's privacy form: no secret")


class ChannelAnswer(BaseModel):
    channel: str
    delivered: bool
    error: str | None


@router.get("/channels/services")
def list_services(request: Request, access: TechnicianRole) -> list[ServiceOut]:
    """The services the installation's channels file names, without their secrets."""
    services: Services = request.app.state.services.services
    return [
        ServiceOut(name=s.name, address=s.kind.value, shape=s.shape.value, url=s.privacy)
        for s in services.by_name.values()
    ]


@router.post("/contacts", status_code=status.HTTP_201_CREATED)
def create_contact(
    body: ContactIn, request: Request, session: SessionDep, now: NowDep, access: AdminRole
) -> ContactOut:
    _may_tell(access, body, request)
    contact = store.contacts.add(session, Contact(**_columns(body), created_at=now))
    audit.note(session, access, audit.Subject.CONTACT, contact.id, "added", now, body.model_dump(mode="json"))
    session.commit()
    return ContactOut.model_validate(contact)


@router.get("/contacts")
def list_contacts(session: SessionDep, access: TechnicianRole, removed: bool = False) -> list[ContactOut]:
    """The contacts who are told; with `removed=true` also those removed."""
    listed = store.contacts.listed(session, removed=removed)
    return [ContactOut.model_validate(c) for c in listed if access.sees_all(c.sites)]


@router.put("/contacts/{contact_id}")
def replace_contact(
    contact_id: ContactId,
    body: ContactIn,
    request: Request,
    session: SessionDep,
    now: NowDep,
    access: AdminRole,
) -> ContactOut:
    contact = _get(session, access, contact_id)
    _may_tell(access, body, request)
    if contact.retired_at is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"contact {contact_id} was removed; add a new one")
    for name, value in _columns(body).items():
        setattr(contact, name, value)
    audit.note(
        session, access, audit.Subject.CONTACT, contact.id, "changed", now, body.model_dump(mode="json")
    )
    session.commit()
    return ContactOut.model_validate(contact)


@router.delete("/contacts/{contact_id}")
def remove_contact(contact_id: ContactId, session: SessionDep, now: NowDep, role: AdminRole) -> ContactOut:
    """Tell this contact nothing more, from now on and of what is still waiting to be sent;
    what it was told stays on record at /notifications."""
    contact = _get(session, role, contact_id)
    if contact.retired_at is None:
        contact.retired_at = now
        audit.note(session, role, audit.Subject.CONTACT, contact.id, "removed", now)
        session.commit()
        log.info("contact removed", extra={"contact": contact_id, "by": role.name})
    return ContactOut.model_validate(contact)


@router.post("/contacts/{contact_id}/test")
def test_contact(
    contact_id: ContactId, request: Request, session: SessionDep, now: NowDep, access: AdminRole
) -> list[ChannelAnswer]:
    """Send a test message on each of the contact's channels, in its language: what each
    answered. Each send has the notifier's deadline, and no transaction is open while it runs."""
    contact = _get(session, access, contact_id)
    if contact.retired_at is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"contact {contact_id} was removed")
    audit.note(session, access, audit.Subject.CONTACT, contact.id, "tested", now)
    session.commit()
    session.close()  # the contact stays loaded; nothing of the store is held while it sends
    notifier: Notifier = request.app.state.notifier
    words = Words(contact.language, request.app.state.time_zone)
    text = words("notice.test_text", name=contact.name, at=now)
    message = Message(f"[aedmon] {words('notice.test_subject')}", text, text)
    payload = {"delivery": f"test-{contact.id}-{int(now.timestamp())}", "purpose": "test", "alerts": []}
    answers = [ChannelAnswer(channel=name, delivered=False, error="no such service in the channels file")
               for name in notifier.unknown_services(contact)]  # fmt: skip
    for channel in notifier.attempts(contact):
        if channel.name == "mqtt":  # it publishes alerts to machines: a test would look like one
            answers.append(
                ChannelAnswer(channel="mqtt", delivered=False, error="publishes alerts only: not tested")
            )
            continue
        error = notifier.try_one(channel, contact, message, payload)
        answers.append(ChannelAnswer(channel=channel.name, delivered=error is None, error=error))
    log.info("contact tested", extra={"contact": contact.id, "delivered": sum(a.delivered for a in answers)})
    return answers


@router.get("/notifications")
def list_notifications(
    session: SessionDep,
    access: TechnicianRole,
    alert_id: AlertIdFilter = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[NotificationOut]:
    """What was told to whom, on which channel, and what failed."""
    found = store.notifications.listed(session, alert_id=alert_id, limit=limit, sites=access.visible)
    return [NotificationOut.model_validate(n) for n in found]
