"""Who am I: the role of the key a page was opened with, so it shows only what that role may do."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from server.settings import Role

from .deps import AnyRole

router = APIRouter(prefix="/api/v1", tags=["session"])


class WhoAmI(BaseModel):
    role: Role


@router.get("/whoami")
def whoami(role: AnyRole) -> WhoAmI:
    return WhoAmI(role=role)
