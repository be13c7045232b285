"""`POST /api/v1/ingest`: a batch of readings from a bridge; idempotent per reading."""

from __future__ import annotations

from fastapi import APIRouter, Request

from server import store
from server.ingest import Outcome, ingest

from .deps import BridgeRole, NowDep, PolicyDep, SessionDep
from .schemas import IngestIn, IngestOut, ProfilesOut, ReadingOutcomeOut

router = APIRouter(prefix="/api/v1", tags=["ingest"])


@router.get("/ingest/profiles")
def get_profiles(session: SessionDep, access: BridgeRole) -> ProfilesOut:
    """The sensor profile chosen at enrolment for each device of the key's sites that has one:
    a bridge reads those devices' LoRaWAN payloads with it, before any profile the network names."""
    return ProfilesOut(profiles=store.devices.profiles(session, access.visible))


@router.post("/ingest")
def post_ingest(
    body: IngestIn, request: Request, session: SessionDep, now: NowDep, policy: PolicyDep, access: BridgeRole
) -> IngestOut:
    """A key given sites or areas ingests only for those: a reading of another site is rejected
    and counted, never applied."""
    result = ingest(session, body.readings, now, policy, sites=access.visible)
    request.app.state.notifier.wake()  # what opened is told now, not at the next tick
    return IngestOut(
        accepted=result.count(Outcome.STORED),
        duplicates=result.count(Outcome.DUPLICATE),
        rejected=[{"index": o.index, "error": o.reason} for o in result.rejected],
        results=[
            ReadingOutcomeOut(index=o.index, status=o.status.value, key=o.key, reason=o.reason)
            for o in result.outcomes
        ],
    )
