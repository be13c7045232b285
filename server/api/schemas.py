"""Request and response bodies of the REST API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from aedmon.reading import ID_PATTERN, DeviceKind
from server.rules.readiness import Readiness


class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN)
    site: str = Field(pattern=ID_PATTERN)
    kind: DeviceKind
    name: str = Field(default="", max_length=200)
    place: str = Field(default="", max_length=2000)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    geofence_m: float | None = Field(default=None, gt=0)
    report_interval_s: int | None = Field(default=None, gt=0)


class DevicePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    site: str | None = Field(default=None, pattern=ID_PATTERN)
    kind: DeviceKind | None = None
    name: str | None = Field(default=None, max_length=200)
    place: str | None = Field(default=None, max_length=2000)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    geofence_m: float | None = Field(default=None, gt=0)
    report_interval_s: int | None = Field(default=None, gt=0)
    confirmed: bool | None = None


class DeviceOut(BaseModel):
    id: str
    site: str
    kind: DeviceKind
    name: str
    place: str
    lat: float | None
    lon: float | None
    geofence_m: float | None
    report_interval_s: int
    confirmed: bool
    manufacturer: str | None
    model: str | None
    firmware: str | None
    last_seen: datetime | None
    serviced_at: datetime | None
    readiness: Readiness
    reasons: list[str]


class IngestIn(BaseModel):
    # Items are validated one by one in the ingest service, so one bad reading does not
    # sink the batch; the schema still documents what an item is.
    readings: list[dict[str, Any]] = Field(max_length=5000, description="Reading objects")


class IngestOut(BaseModel):
    accepted: int
    duplicates: int
    rejected: list[dict[str, Any]]


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    device_id: str
    type: str
    severity: str
    state: str
    message: str
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    ack_note: str | None
    resolved_at: datetime | None


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=2000)
