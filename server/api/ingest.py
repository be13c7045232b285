"""`POST /api/v1/ingest`: a batch of readings from a bridge; idempotent per reading."""

from __future__ import annotations

from fastapi import APIRouter, Request

from server.ingest import ingest

from .deps import BridgeRole, NowDep, PolicyDep, SessionDep
from .schemas import IngestIn, IngestOut

router = APIRouter(prefix="/api/v1", tags=["ingest"])


@router.post("/ingest")
def post_ingest(
    body: IngestIn, request: Request, session: SessionDep, now: NowDep, policy: PolicyDep, _: BridgeRole
) -> IngestOut:
    result = ingest(session, body.readings, now, policy)
    request.app.state.notifier.wake()  # what opened is told now, not at the next tick
    return IngestOut(accepted=result.accepted, duplicates=result.duplicates, rejected=result.rejected)
