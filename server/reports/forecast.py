"""Consumables forecast: pads and batteries that expire in each of the coming months, per
site, so a programme manager can order in time. Pure."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Consumable(StrEnum):
    PADS = "pads"
    BATTERY = "battery"


@dataclass(frozen=True)
class Expiry:
    device_id: str
    site: str
    item: Consumable
    expires: date


@dataclass(frozen=True)
class Row:
    site: str
    month: str  # YYYY-MM
    pads: int
    batteries: int
    devices: tuple[str, ...]


def _month_index(day: date, start: date) -> int:
    return (day.year - start.year) * 12 + day.month - start.month


def _month_name(start: date, offset: int) -> str:
    total = start.year * 12 + start.month - 1 + offset
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def forecast(expiries: list[Expiry], today: date, months: int = 12) -> list[Row]:
    """One row per site and month from this month on. What has already expired is counted in
    this month's row: it has to be ordered now."""
    counts: dict[tuple[str, int], dict[Consumable, int]] = defaultdict(lambda: dict.fromkeys(Consumable, 0))
    devices: dict[tuple[str, int], set[str]] = defaultdict(set)
    for expiry in expiries:
        index = max(0, _month_index(expiry.expires, today))
        if index >= months:
            continue
        counts[(expiry.site, index)][expiry.item] += 1
        devices[(expiry.site, index)].add(expiry.device_id)
    sites = sorted({e.site for e in expiries})
    return [
        Row(
            site,
            _month_name(today, index),
            counts[(site, index)][Consumable.PADS],
            counts[(site, index)][Consumable.BATTERY],
            tuple(sorted(devices[(site, index)])),
        )
        for site in sites
        for index in range(months)
    ]
