"""The readiness snapshot: one row per device with its verdict as last evaluated, read by the
lists, the sites' counts and the scheduler (which visits the rows whose `due_at` has passed)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy import insert as sa_insert
from sqlalchemy.orm import Session, undefer

from . import changes
from .conflicts import dialect_insert
from .database import yield_to_writers
from .models import Device, ReadinessSnapshot, Site, SiteCounts, Verdict
from .search import containing


@dataclass(frozen=True)
class Snapshot:
    site: str
    readiness: str
    reasons: list[dict[str, Any]]  # [{key, id, params}] in the verdict's order
    last_seen: datetime | None
    last_selftest_at: datetime | None
    pads_expiry: date | None
    battery_expiry: date | None
    located_lat: float | None
    located_lon: float | None
    located_at: datetime | None
    due_at: datetime
    door_open: bool | None = None
    temp_c: float | None = None


READINESS = ("not_ready", "attention", "unknown", "ready")


@dataclass(frozen=True)
class Kept:
    """One device's evaluation to keep: its snapshot, whether its site counts it, and what the
    rules remember of it (as stored)."""

    device_id: str
    snapshot: Snapshot
    counted: bool
    memory: dict[str, Any] | None


def lock(session: Session, device_ids: Sequence[str]) -> None:
    """Hold the devices' rows for this transaction, in id order, so that two evaluations of one
    device (two servers, say) take turns without deadlocking and counts move once per change."""
    session.execute(
        select(Device.id).where(Device.id.in_(sorted(device_ids))).order_by(Device.id).with_for_update()
    )


def with_memory(session: Session, device_ids: Sequence[str]) -> dict[str, ReadinessSnapshot]:
    """The devices' snapshots with what the rules remember of them (the lists never load it)."""
    rows = session.scalars(
        select(ReadinessSnapshot)
        .where(ReadinessSnapshot.device_id.in_(device_ids))
        .options(undefer(ReadinessSnapshot.memory))
        .execution_options(populate_existing=True)
    )
    return {row.device_id: row for row in rows}


def save(session: Session, kept: Sequence[Kept], before: dict[str, ReadinessSnapshot], now: datetime) -> None:
    """Keep the devices' snapshots, their sites' counts and the feed of changed verdicts, in the
    caller's transaction (with the evaluations that made them), one statement for all the
    snapshots. `before` holds the devices' snapshots as read after `lock`."""
    if not kept:
        return
    table = ReadinessSnapshot.__table__
    insert = dialect_insert(session)(table)
    columns = [column.name for column in table.c if column.name != "device_id"]
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["device_id"], set_={name: insert.excluded[name] for name in columns}
        ),
        [
            {
                "device_id": k.device_id,
                "evaluated_at": now,
                "counted": k.counted,
                "memory": k.memory,
                **k.snapshot.__dict__,
            }
            for k in kept
        ],
    )
    steps: Counter[tuple[str, str]] = Counter()
    for k in kept:
        old, snapshot = before.get(k.device_id), k.snapshot
        if old is not None and old.counted:
            steps[(old.site, old.readiness)] -= 1
        if k.counted:
            steps[(snapshot.site, snapshot.readiness)] += 1
        said = (snapshot.site, snapshot.readiness, snapshot.reasons)
        if old is None or (old.site, old.readiness, list(old.reasons)) != said:
            body = {"device_id": k.device_id, "site": snapshot.site, "readiness": snapshot.readiness}
            changes.add(session, "verdict", k.device_id, snapshot.site, body, now)
            why = _causes(snapshot.reasons)
            if old is None or (old.readiness, _causes(old.reasons)) != (snapshot.readiness, why):
                # the verdict history: a change of readiness or of its causes, never of a detail
                session.add(Verdict(device_id=k.device_id, site=snapshot.site, at=now,
                                    readiness=snapshot.readiness, reasons=why))  # fmt: skip
        elif old.door_open != snapshot.door_open:  # told at once to those who show it (Home Assistant)
            door: dict[str, Any] = {
                "device_id": k.device_id,
                "site": snapshot.site,
                "door_open": snapshot.door_open,
            }
            changes.add(session, "state", k.device_id, snapshot.site, door, now)
    for (site, readiness), step in sorted(steps.items()):
        if step:
            _count(session, site, readiness, step)


def _causes(reasons: Sequence[dict[str, Any]]) -> list[str]:
    """A verdict's causes: its reasons' keys (self_test_failed, pads_expired…), worst first."""
    return [str(reason.get("key", "")) for reason in reasons]


def forget(session: Session, device_ids: Sequence[str], retry_at: datetime) -> None:
    """Have the devices' memories rebuilt from their readings at their next evaluation, which
    the scheduler makes at `retry_at` (an evaluation failed: its readings are stored all the
    same)."""
    session.execute(
        update(ReadinessSnapshot)
        .where(ReadinessSnapshot.device_id.in_(device_ids))
        .values(memory=None, due_at=retry_at)
    )


def _count(session: Session, site: str, readiness: str, step: int) -> None:
    column = getattr(SiteCounts.__table__.c, readiness)
    statement = dialect_insert(session)(SiteCounts).values(
        site=site, **{name: step if name == readiness else 0 for name in READINESS}
    )
    session.execute(statement.on_conflict_do_update(index_elements=["site"], set_={readiness: column + step}))


RECOUNT_SITES = 200  # sites recounted in one transaction


def recount(session: Session) -> None:
    """The sites' counts from the snapshots themselves: what the counts kept with each change
    must equal (a periodic job makes sure). RECOUNT_SITES sites a transaction, so a fleet's
    recount never holds the store. Commits."""
    sites = sorted(
        set(
            session.scalars(
                select(ReadinessSnapshot.site).where(ReadinessSnapshot.counted.is_(True)).distinct()
            )
        )
        | set(session.scalars(select(SiteCounts.site)))
    )
    session.commit()
    for start in range(0, len(sites), RECOUNT_SITES):
        chunk = sites[start : start + RECOUNT_SITES]
        counted = (
            select(ReadinessSnapshot.site, ReadinessSnapshot.readiness, func.count())
            .where(ReadinessSnapshot.counted.is_(True), ReadinessSnapshot.site.in_(chunk))
            .group_by(ReadinessSnapshot.site, ReadinessSnapshot.readiness)
        )
        # a site whose devices are all retired or moved is counted zeros
        counts = {site: dict.fromkeys(READINESS, 0) for site in chunk}
        for site, readiness, count in session.execute(counted):
            counts[site][readiness] = int(count)
        session.execute(delete(SiteCounts).where(SiteCounts.site.in_(chunk)))
        session.execute(sa_insert(SiteCounts), [{"site": site, **said} for site, said in counts.items()])
        session.commit()
        yield_to_writers(session)


def as_snapshot(row: ReadinessSnapshot) -> Snapshot:
    return Snapshot(
        site=row.site,
        readiness=row.readiness,
        reasons=list(row.reasons),
        last_seen=row.last_seen,
        last_selftest_at=row.last_selftest_at,
        pads_expiry=row.pads_expiry,
        battery_expiry=row.battery_expiry,
        located_lat=row.located_lat,
        located_lon=row.located_lon,
        located_at=row.located_at,
        due_at=row.due_at,
        door_open=row.door_open,
        temp_c=row.temp_c,
    )


def of_devices(session: Session, device_ids: Sequence[str]) -> dict[str, ReadinessSnapshot]:
    rows = session.scalars(
        select(ReadinessSnapshot)
        .where(ReadinessSnapshot.device_id.in_(device_ids))
        .execution_options(populate_existing=True)  # saved in bulk, past the session's own copies
    )
    return {row.device_id: row for row in rows}


def due(session: Session, now: datetime, limit: int) -> Sequence[str]:
    """Devices in service whose snapshot time may have changed (through the due_at index),
    and those with none yet; the earliest first."""
    stale = session.scalars(
        select(ReadinessSnapshot.device_id)
        .join(Device, Device.id == ReadinessSnapshot.device_id)
        .where(ReadinessSnapshot.due_at <= now, Device.retired_at.is_(None))
        .order_by(ReadinessSnapshot.due_at)
        .limit(limit)
    ).all()
    missing = session.scalars(
        select(Device.id)
        .outerjoin(ReadinessSnapshot, ReadinessSnapshot.device_id == Device.id)
        .where(ReadinessSnapshot.device_id.is_(None), Device.retired_at.is_(None))
        .limit(limit)
    ).all()
    return [*stale, *missing][:limit]


@dataclass(frozen=True)
class SiteCount:
    site: str
    counts: dict[str, int]


def sites_worst_first(
    session: Session,
    sites: frozenset[str] | None,
    after: tuple[int, int, int, str] | None,
    limit: int,
    q: str | None = None,
) -> list[SiteCount]:
    """A page of sites by their counts, worst first (most not ready, then needing attention,
    then unknown, then by id), through the counts' index; after the (not ready, attention,
    unknown, site) of the previous page's last; only those whose id or name holds `q` if given."""
    row = SiteCounts
    query = select(row).order_by(row.not_ready.desc(), row.attention.desc(), row.unknown.desc(), row.site)
    if sites is not None:
        query = query.where(row.site.in_(sorted(sites)))
    if q:
        query = query.where(row.site.in_(select(Site.id).where(containing(q, Site.id, Site.name))))
    if after is not None:
        nr, at, un, site = after
        query = query.where(
            or_(
                row.not_ready < nr,
                and_(row.not_ready == nr, row.attention < at),
                and_(row.not_ready == nr, row.attention == at, row.unknown < un),
                and_(row.not_ready == nr, row.attention == at, row.unknown == un, row.site > site),
            )
        )
    return [
        SiteCount(found.site, {name: getattr(found, name) for name in READINESS})
        for found in session.scalars(query.limit(limit))
    ]


def counts_of(session: Session, site: str) -> dict[str, int]:
    found = session.get(SiteCounts, site)
    return {name: getattr(found, name) if found else 0 for name in READINESS}
