"""The compliance record: every self-test and inspection of a period, in time order, each row
hash-chained to the one before, so a missing, added or altered row is detectable. Pure.

    hash(row n) = SHA-256( hash(row n-1) + "\\n" + the row's fields joined by "\\x1f" )

with the chain starting from 64 zeros. Anyone can check a printed or exported record with
`verify` or a few lines in any language: recompute each hash and compare.

The CSV export is inert in a spreadsheet (OWASP's advice on CSV injection): a text cell that
starts with `=`, `+`, `-`, `@`, a tab, a carriage return, or `'` itself gets one `'` in front, so
no cell is read as a formula. The escaping is exact and undone before hashing: a verifier of a
CSV takes one leading `'` off every cell that has one (`from_csv`, `aedmon verify-record`). The
JSON answer is the record as hashed, unescaped.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from enum import StrEnum

GENESIS = "0" * 64
FIELDS = ("time", "device_id", "site", "kind", "result", "details", "by")


class EntryKind(StrEnum):
    SELFTEST = "selftest"
    INSPECTION = "inspection"
    SHIFT_CHECK = "shift_check"  # a mobile unit's, before a shift


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


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def inert(cell: object) -> object:
    """A CSV cell no spreadsheet runs: text that could start a formula gets a leading `'`.
    Numbers are left as they are (a negative count is a number, not a formula)."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_STARTS):
        return "'" + cell
    return cell


def inert_row(cells: list[object]) -> list[object]:
    return [inert(cell) for cell in cells]


def undo_inert(cell: str) -> str:
    """The cell as hashed: `inert` undone."""
    return cell[1:] if cell.startswith("'") else cell


def from_csv(text: str) -> list[ChainedEntry]:
    """The record from its CSV export (headings in any language, then number, the seven
    fields, previous and hash), the escaping undone; ValueError if a row cannot be read."""
    rows = list(csv.reader(io.StringIO(text)))
    out = []
    for line, cells in enumerate(rows[1:], start=2):
        if not cells:
            continue
        if len(cells) != len(FIELDS) + 3:
            raise ValueError(f"line {line}: {len(cells)} cells, not {len(FIELDS) + 3}")
        plain = [undo_inert(cell) for cell in cells]
        try:
            number = int(plain[0])
        except ValueError:
            raise ValueError(f"line {line}: the row number {plain[0][:20]!r} is not a number") from None
        out.append(ChainedEntry(number, Entry(*plain[1 : 1 + len(FIELDS)]), plain[-2], plain[-1]))
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
