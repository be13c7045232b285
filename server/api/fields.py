"""The fields table (aedmon.fields) as the API shows it: what each numeric field of a reading
is, in the language asked for. Clients label charts and exports from it."""

from __future__ import annotations

from fastapi import APIRouter

from aedmon.fields import FIELDS

from .deps import SpeakerDep, ViewerRole
from .schemas import FieldOut

router = APIRouter(prefix="/api/v1", tags=["fields"])


@router.get("/fields")
def list_fields(speaker: SpeakerDep, _: ViewerRole) -> list[FieldOut]:
    words = speaker.at({}, "")
    return [
        FieldOut(
            key=row.key,
            label=words(row.label),
            unit=row.unit,
            low=row.low,
            high=row.high,
            types=sorted(row.types),
            mqtt=sorted(row.mqtt),
            serial=row.serial,
        )
        for row in FIELDS
    ]
