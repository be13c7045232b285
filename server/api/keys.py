"""API keys: named, with a role over listed sites, listed areas, or everything; shown once,
kept as a hash, revocable, with their last use. One per bridge. An admin of some sites or
areas sees and manages only keys within them, and grants no more than it holds."""

from __future__ import annotations

import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status
from sqlalchemy.orm import Session

from server import store
from server.access import Access
from server.store.models import INT32_MAX, ApiKey

from . import audit
from .deps import AdminRole, NowDep, SessionDep, key_hash
from .schemas import KeyCreated, KeyIn, KeyOut

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/keys", tags=["keys"])
KeyId = Annotated[int, Path(ge=1, le=INT32_MAX, description="a key's id")]
PREFIX = "aedmon_"


def _within(access: Access, key: ApiKey) -> bool:
    return access.may_grant(key.sites, key.areas)


def _get(session: Session, access: Access, key_id: int) -> ApiKey:
    key = store.keys.get(session, key_id)
    if key is None or not _within(access, key):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no key {key_id}")
    return key


@router.post("", status_code=status.HTTP_201_CREATED)
def create_key(body: KeyIn, session: SessionDep, now: NowDep, access: AdminRole) -> KeyCreated:
    """A new key, shown this once; both lists empty give it every site."""
    if not access.may_grant(body.sites, body.areas):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a key may be given only sites and areas you hold")
    secret = PREFIX + secrets.token_urlsafe(32)
    key = store.keys.add(
        session,
        ApiKey(
            name=body.name,
            role=body.role.value,
            key_hash=key_hash(secret),
            prefix=secret[: len(PREFIX) + 4],
            sites=sorted(set(body.sites)),
            areas=sorted(set(body.areas)),
            created_at=now,
            created_by=access.name,
        ),
    )
    audit.note(session, access, audit.Subject.KEY, key.id, "made", now, body.model_dump(mode="json"))
    session.commit()
    log.info("key made", extra={"key": key.id, "key_name": key.name, "role": key.role, "by": access.name})
    return KeyCreated(id=key.id, key=secret)


@router.get("")
def list_keys(session: SessionDep, access: AdminRole) -> list[KeyOut]:
    return [KeyOut.model_validate(key) for key in store.keys.listed(session) if _within(access, key)]


@router.delete("/{key_id}")
def revoke_key(key_id: KeyId, session: SessionDep, now: NowDep, access: AdminRole) -> KeyOut:
    """Revoke the key at once; it stays on record with its last use."""
    key = _get(session, access, key_id)
    if key.revoked_at is None:
        key.revoked_at = now
        audit.note(session, access, audit.Subject.KEY, key.id, "revoked", now)
        store.changes.access_changed(session, now)  # its open streams end, on every server
        session.commit()
        log.info("key revoked", extra={"key": key.id, "by": access.name})
    return KeyOut.model_validate(key)
