"""Who am I: the name, role and scope of the key a page was opened with, so it shows only
what that key may do."""

from __future__ import annotations

from fastapi import APIRouter

from .deps import AnyRole
from .schemas import WhoAmI

router = APIRouter(prefix="/api/v1", tags=["session"])


@router.get("/whoami")
def whoami(access: AnyRole) -> WhoAmI:
    principal = access.principal
    return WhoAmI(
        name=principal.name,
        role=principal.role,
        sites=sorted(principal.sites),
        areas=sorted(principal.areas),
        csrf_token=principal.csrf,
    )
