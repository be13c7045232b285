"""site ids in lower case: a site id is case-insensitive (`Site-A` and `site-a` are one site),
kept in lower case everywhere. Sites that differ only in case become one (the lower-case one's
name, zone and area kept where it existed); every row naming a site, and every list of sites
of a key, person or contact, is written in lower case; the sites' counts are added up.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("devices", "site"),
    ("readings", "site"),
    ("readiness", "site"),
    ("silences", "site"),
    ("notifications", "site"),
    ("audit", "site"),
    ("changes", "site"),
)
_LISTS = ("api_keys", "users", "contacts")
_COUNTS = ("not_ready", "attention", "unknown", "ready")


def upgrade() -> None:
    bind = op.get_bind()
    known = set(bind.scalars(sa.text("SELECT id FROM sites")))
    for site in sorted(known):
        lower = site.lower()
        if lower == site:
            continue
        if lower in known:  # two sites in all but case: one, the lower-case one's settings kept
            bind.execute(sa.text("DELETE FROM sites WHERE id = :id"), {"id": site})
        else:
            bind.execute(sa.text("UPDATE sites SET id = :lower WHERE id = :id"), {"lower": lower, "id": site})
            known.add(lower)
    for table, column in _COLUMNS:
        bind.execute(
            sa.text(f"UPDATE {table} SET {column} = lower({column}) WHERE {column} <> lower({column})")
        )
    for table in _LISTS:
        for row_id, sites in bind.execute(sa.text(f"SELECT id, sites FROM {table}")).all():
            if isinstance(sites, str):  # SQLite answers JSON as its text
                sites = json.loads(sites)
            listed = sites if isinstance(sites, list) else []
            lowered = sorted({str(site).lower() for site in listed})
            if lowered != sorted(listed):
                bind.execute(
                    sa.text(f"UPDATE {table} SET sites = :sites WHERE id = :id").bindparams(
                        sa.bindparam("sites", type_=sa.JSON)
                    ),
                    {"sites": lowered, "id": row_id},
                )
    counts = bind.execute(sa.text(f"SELECT site, {', '.join(_COUNTS)} FROM site_counts")).all()
    merged: dict[str, list[int]] = {}
    for site, *numbers in counts:
        total = merged.setdefault(site.lower(), [0] * len(_COUNTS))
        merged[site.lower()] = [a + int(b) for a, b in zip(total, numbers, strict=True)]
    if any(site != site.lower() for site, *_ in counts):
        bind.execute(sa.text("DELETE FROM site_counts"))
        for site, numbers in merged.items():
            bind.execute(
                sa.text(f"INSERT INTO site_counts (site, {', '.join(_COUNTS)}) "
                        f"VALUES (:site, {', '.join(':' + name for name in _COUNTS)})"),
                {"site": site, **dict(zip(_COUNTS, numbers, strict=True))},
            )  # fmt: skip


def downgrade() -> None:
    pass  # lower-case ids are valid ids: nothing to undo
