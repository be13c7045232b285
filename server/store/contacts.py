"""Contacts: who is told, kept (retired) when removed so what they were told stays on record."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Contact


def add(session: Session, contact: Contact) -> Contact:
    session.add(contact)
    session.flush()
    return contact


def get(session: Session, contact_id: int) -> Contact | None:
    return session.get(Contact, contact_id)


def serving(session: Session) -> Sequence[Contact]:
    """The contacts still told of anything: not removed."""
    return session.scalars(select(Contact).where(Contact.retired_at.is_(None)).order_by(Contact.id)).all()


def listed(session: Session, *, removed: bool) -> Sequence[Contact]:
    query = select(Contact).order_by(Contact.id)
    if not removed:
        query = query.where(Contact.retired_at.is_(None))
    return session.scalars(query).all()


def by_ids(session: Session, ids: Sequence[int]) -> dict[int, Contact]:
    return {c.id: c for c in session.scalars(select(Contact).where(Contact.id.in_(ids)))}
