"""Scripted faults: `NAME@SECONDS[:DURATION]`, e.g. `pads-expired@20`, `silence@30:15`."""

from __future__ import annotations

import re
from dataclasses import dataclass

_FAULT_RE = re.compile(r"^(?P<name>[a-z-]+)@(?P<at>\d+(?:\.\d+)?)(?::(?P<duration>\d+(?:\.\d+)?))?$")


@dataclass(frozen=True)
class Fault:
    name: str
    at_s: float
    duration_s: float = 0.0

    @classmethod
    def parse(cls, text: str, allowed: frozenset[str]) -> Fault:
        match = _FAULT_RE.match(text.strip())
        if match is None:
            raise ValueError(f"fault {text!r} is not NAME@SECONDS[:DURATION]")
        if match["name"] not in allowed:
            raise ValueError(f"unknown fault {match['name']!r}; known: {', '.join(sorted(allowed))}")
        return cls(match["name"], float(match["at"]), float(match["duration"] or 0))


@dataclass
class Schedule:
    """Faults not yet fired, in time order."""

    pending: list[Fault]

    def due(self, elapsed_s: float) -> list[Fault]:
        fired = [f for f in self.pending if f.at_s <= elapsed_s]
        self.pending = [f for f in self.pending if f.at_s > elapsed_s]
        return sorted(fired, key=lambda f: f.at_s)
