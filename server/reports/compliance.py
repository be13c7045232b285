"""The compliance record: every self-test and inspection of a period, in time order, each row
hash-chained to the one before, so a missing, added or altered row is detectable. Pure.

    hash(row n) = SHA-256( hash(row n-1) + "\\n" + the row's fields joined by "\\x1f" )

with the chain starting from 64 zeros. Anyone can check a printed or exported record with
`verify` or a few lines in any language: recompute each hash and compare.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

GENESIS = "0" * 64
FIELDS = ("time", "device_id", "site", "kind", "result", "details", "by")


class EntryKind(StrEnum):
    SELFTEST = "selftest"
    INSPECTION = "inspection"


@dataclass(frozen=True)
class Entry:
    time: str  # ISO 8601 UTC
    device_id: str
    site: str
    kind: str  # an EntryKind; kept a str so that a record read back hashes as it was written
    result: str  # PASS/WARN/FAIL, or ok/not ok for an inspection
    details: str
    by: str


@dataclass(frozen=True)
class ChainedEntry:
    number: int
    entry: Entry
    previous: str
    hash: str


def row_hash(previous: str, entry: Entry) -> str:
    payload = previous + "\n" + "\x1f".join(str(getattr(entry, name)) for name in FIELDS)
    return hashlib.sha256(payload.encode()).hexdigest()


def chain(entries: list[Entry]) -> list[ChainedEntry]:
    out = []
    previous = GENESIS
    for number, entry in enumerate(sorted(entries, key=lambda e: (e.time, e.device_id, e.kind)), start=1):
        digest = row_hash(previous, entry)
        out.append(ChainedEntry(number, entry, previous, digest))
        previous = digest
    return out


def verify(rows: list[ChainedEntry]) -> int | None:
    """The number of the first row that does not follow from the one before; None if all do."""
    previous = GENESIS
    for expected_number, row in enumerate(rows, start=1):
        if (
            row.number != expected_number
            or row.previous != previous
            or row.hash != row_hash(previous, row.entry)
        ):
            return expected_number
        previous = row.hash
    return None
