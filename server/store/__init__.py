"""Every SQL statement of the server, one module per aggregate, and the migrations.

    devices        register (ON CONFLICT), get, list, sites
    sites          a site's row, area and time zone
    areas          the areas sites belong to
    keys           API keys by their hash
    users          people, their sessions, failed logins
    readings       store once by key, recent, self-tests of a period
    facts          the rules' read model of one device (DeviceFacts)
    alerts         open once per (device, type), the audit trail
    notifications  the outbox: plan once, claim, list
    contacts       who is told
    silences       maintenance windows
    inspections    the monthly checks
    audit          who changed a device, contact, person or key
    snapshots      each device's readiness as last evaluated, and when it is next due
    changes        the feed of verdict and alert changes the event streams read
    verdicts       the verdict history (each change of readiness), for the programme's reports
    retention      pruning what has passed its retention, and how far it reached

Callers pass typed arguments and get models back; no module outside this package writes SQL.
"""

from __future__ import annotations

from . import (
    alerts,
    areas,
    audit,
    changes,
    communities,
    contacts,
    devices,
    facts,
    inspections,
    keys,
    notifications,
    readings,
    retention,
    silences,
    sites,
    snapshots,
    users,
    verdicts,
)

__all__ = [
    "areas",
    "audit",
    "changes",
    "communities",
    "keys",
    "alerts",
    "contacts",
    "devices",
    "facts",
    "inspections",
    "notifications",
    "readings",
    "retention",
    "silences",
    "sites",
    "snapshots",
    "users",
    "verdicts",
]
