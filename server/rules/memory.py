"""What the rules remember of a device between evaluations, so that an evaluation reads one row
instead of the device's history: the newest reading of each kind the rules read, the recent
states, events and fixes, and the newest reading that says it was heard. Pure.

Ingest merges a batch's new readings into it (`merged`). Recent states are kept as the first
and last of each run of states that say the same to the rules (state, AED present, door
open) with no event between them: the rules ask of a run only when it began and when it last
held, so the dropped middle changes nothing they find. A state or event placed before the
newest one remembered could split such a run, so `merged` answers None for it and the caller
rebuilds the memory from the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from aedmon.reading import Reading, ReadingType

from .facts import DeviceFacts, DeviceInfo

Row = tuple[datetime, int, Reading]  # (placed at, row id, the reading as placed): the store's order

RECENT_STATES = 200
RECENT_EVENTS = 200
RECENT_LOCATIONS = 20
STATES = frozenset({ReadingType.HEARTBEAT, ReadingType.STATUS})
# What says a device was heard: anything but availability, which the broker may say for it.
HEARD = frozenset(t for t in ReadingType if t is not ReadingType.AVAILABILITY)
VERSION = 3  # of the stored form; a memory of another version is rebuilt from the store


def _order(row: Row) -> tuple[datetime, int]:
    return row[0], row[1]


def _newest(*rows: Row | None) -> Row | None:
    return max((row for row in rows if row is not None), key=_order, default=None)


def _says(reading: Reading) -> tuple[Any, ...]:
    """What a state says to the rules that read the recent states."""
    return (
        reading.state,
        reading.aed_present,
        reading.door_open,
        reading.tamper,
        reading.sensor_battery_low,
        reading.sensor_battery_pct,
        reading.o2_pressure_bar,  # a leak is read from how it falls
    )


def compress(states: Sequence[Row], events: Sequence[Row]) -> tuple[Row, ...]:
    """The states, oldest first, without those whose neighbours (events counted) on both sides
    are states saying the same; then the newest `RECENT_STATES` of them."""
    signals = sorted(
        [(row, True) for row in states] + [(row, False) for row in events], key=lambda s: _order(s[0])
    )
    kept = []
    for index, (row, is_state) in enumerate(signals):
        if not is_state:
            continue
        before = signals[index - 1] if index > 0 else None
        after = signals[index + 1] if index + 1 < len(signals) else None
        inside = all(
            near is not None and near[1] and _says(near[0][2]) == _says(row[2]) for near in (before, after)
        )
        if not inside:
            kept.append(row)
    return tuple(kept[-RECENT_STATES:])


@dataclass(frozen=True)
class Memory:
    selftest: Row | None = None
    availability: Row | None = None
    heard: Row | None = None  # the newest reading of a HEARD type
    states: tuple[Row, ...] = ()  # oldest first, each tuple
    events: tuple[Row, ...] = ()
    locations: tuple[Row, ...] = ()

    @classmethod
    def of(cls, rows: Iterable[Row]) -> Memory:
        """The memory of these rows (a device's newest of each type, as the store gave them)."""
        merged = cls().merged(sorted(rows, key=_order))
        assert merged is not None  # nothing is remembered to place a row before
        return merged

    def merged(self, rows: Iterable[Row]) -> Memory | None:
        """The memory with these new rows in it; None when a state or event among them is placed
        before the newest remembered one (see the module's note)."""
        rows = list(rows)
        if not rows:
            return self
        signals = [row for row in rows if row[2].type in STATES or row[2].type is ReadingType.EVENT]
        newest = _newest(*self.states[-1:], *self.events[-1:])
        if newest is not None and any(_order(row) < _order(newest) for row in signals):
            return None
        by_type: dict[ReadingType, list[Row]] = {}
        for row in rows:
            by_type.setdefault(row[2].type, []).append(row)

        def recent(kept: tuple[Row, ...], types: Iterable[ReadingType], limit: int) -> tuple[Row, ...]:
            added = [row for t in types for row in by_type.get(t, ())]
            return tuple(sorted([*kept, *added], key=_order)[-limit:]) if added else kept

        events = recent(self.events, [ReadingType.EVENT], RECENT_EVENTS)
        states = recent(self.states, STATES, RECENT_STATES + len(rows))
        return replace(
            self,
            selftest=_newest(self.selftest, *by_type.get(ReadingType.SELFTEST, ())),
            availability=_newest(self.availability, *by_type.get(ReadingType.AVAILABILITY, ())),
            heard=_newest(self.heard, *(row for row in rows if row[2].type in HEARD)),
            states=compress(states, events) if states is not self.states else states,
            events=events,
            locations=recent(self.locations, [ReadingType.LOCATION], RECENT_LOCATIONS),
        )

    def facts(self, device: DeviceInfo, **known: Any) -> DeviceFacts:
        """The rules' facts: what is remembered, and what else is `known` of the device."""

        def readings(rows: tuple[Row, ...]) -> tuple[Reading, ...]:
            return tuple(reading for _, _, reading in rows)

        return DeviceFacts(
            device=device,
            latest_selftest=self.selftest[2] if self.selftest else None,
            latest_location=self.locations[-1][2] if self.locations else None,
            latest_state=self.states[-1][2] if self.states else None,
            latest_availability=self.availability[2] if self.availability else None,
            recent_locations=readings(self.locations),
            recent_states=readings(self.states),
            recent_events=readings(self.events),
            last_seen=None if self.heard is None else self.heard[0],
            last_site=None if self.heard is None else self.heard[2].site,
            **known,
        )

    def to_json(self) -> dict[str, Any]:
        def one(row: Row | None) -> list[Any] | None:
            return None if row is None else [row[0].isoformat(), row[1], row[2].model_dump(mode="json")]

        return {
            "v": VERSION,
            "selftest": one(self.selftest),
            "availability": one(self.availability),
            "heard": one(self.heard),
            **{name: [one(row) for row in getattr(self, name)] for name in ("states", "events", "locations")},
        }

    @classmethod
    def from_json(cls, stored: Any) -> Memory | None:
        """The memory as stored; None for another version or a form this code cannot read."""
        if not isinstance(stored, dict) or stored.get("v") != VERSION:
            return None
        try:

            def one(item: Any) -> Row | None:
                if item is None:
                    return None
                at, row_id, body = item
                return datetime.fromisoformat(at), int(row_id), Reading.model_validate(body)

            def many(name: str) -> tuple[Row, ...]:
                return tuple(row for item in stored[name] if (row := one(item)) is not None)

            return cls(
                selftest=one(stored["selftest"]),
                availability=one(stored["availability"]),
                heard=one(stored["heard"]),
                states=many("states"),
                events=many("events"),
                locations=many("locations"),
            )
        except (KeyError, TypeError, ValueError):
            return None
