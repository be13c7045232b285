"""Writes the Grafana dashboards (InfluxQL, so InfluxDB 1.x, 2.x with DBRP, 3.x) from one
table of panels. Run it after changing a panel; a test fails while the JSON is stale.

The device and bridge dashboards chart every row of the fields table (aedmon.fields) that
says it is charted, with its English label and unit: a new sensor field is a new panel.

    .venv/bin/python dashboards/build.py
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aedmon.fields import FIELDS, Derived, ReadingField
from server.i18n import Words

HERE = Path(__file__).resolve().parent
DATASOURCE = {"type": "influxdb", "uid": "aedmon-influxdb"}
SITE = '("site" =~ /^$site$/)'


@dataclass(frozen=True)
class Panel:
    title: str
    query: str
    unit: str = "none"
    kind: str = "timeseries"
    levels: tuple[tuple[int, str], ...] = ()  # a level field's values, named


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    variables: tuple[tuple[str, str], ...]  # (name, InfluxQL that lists its values)
    panels: tuple[Panel, ...]


def last_by_device(field: str, measurement: str, where: str = SITE) -> str:
    return (
        f'SELECT last("{field}") FROM "{measurement}" WHERE {where} AND $timeFilter '
        'GROUP BY time($__interval), "device" fill(previous)'
    )


DEVICE = '("device" =~ /^$device$/)'
BRIDGE = "(\"kind\" = 'bridge')"
ENGLISH = Words("en")


def field_panels(rows: tuple[ReadingField, ...], where: str) -> tuple[Panel, ...]:
    """One panel per charted reading type of each row: its label, its InfluxDB field, its unit."""
    panels = []
    for row in rows:
        for reading_type in sorted(row.charts):
            label = ENGLISH(row.label)
            title = label if len(row.charts) == 1 else f"{label} ({reading_type})"
            query = last_by_device(row.key, f"aedmon_{reading_type}", where)
            levels = tuple((level, ENGLISH(said)) for level, said in row.level_labels().items())
            panels.append(Panel(title, query, row.grafana_unit, levels=levels))
    return tuple(panels)


SENSORS = tuple(row for row in FIELDS if row.derived is not Derived.EXTRA)
BRIDGE_FIGURES = tuple(row for row in FIELDS if row.derived is Derived.EXTRA)

DASHBOARDS = (
    Dashboard(
        "aedmon-fleet",
        "aedmon · fleet readiness",
        (("site", 'SHOW TAG VALUES FROM "aedmon_selftest" WITH KEY = "site"'),),
        (
            Panel(
                "Self-test result by device (0 pass, 1 warn, 2 fail)",
                last_by_device("result_level", "aedmon_selftest"),
            ),
            Panel(
                "Failed self-tests per day",
                f'SELECT count("result_level") FROM "aedmon_selftest" WHERE "result" = \'FAIL\' AND {SITE} '
                "AND $timeFilter GROUP BY time(1d) fill(0)",
            ),
            Panel(
                "Devices reporting not ready",
                f'SELECT count("state_level") FROM "aedmon_heartbeat" WHERE "state" = \'NOT_READY\' '
                f"AND {SITE} AND $timeFilter GROUP BY time($__interval) fill(0)",
            ),
            Panel("Pads: days to expiry", last_by_device("pads_days_left", "aedmon_selftest"), "d"),
            Panel("Battery", last_by_device("battery_pct", "aedmon_selftest"), "percent"),
            Panel(
                "Battery: days to install-by date",
                last_by_device("battery_days_left", "aedmon_selftest"),
                "d",
            ),
        ),
    ),
    Dashboard(
        "aedmon-device",
        "aedmon · device",
        (
            ("site", 'SHOW TAG VALUES FROM "aedmon_selftest" WITH KEY = "site"'),
            ("device", 'SHOW TAG VALUES WITH KEY = "device" WHERE "site" =~ /^$site$/'),
        ),
        (
            *field_panels(SENSORS, DEVICE),
            Panel(
                "Events",
                f'SELECT count("count") FROM "aedmon_event" WHERE {DEVICE} AND $timeFilter '
                'GROUP BY time($__interval), "event" fill(0)',
            ),
        ),
    ),
    Dashboard(
        "aedmon-bridges",
        "aedmon · bridge health",
        (),
        (
            *field_panels(BRIDGE_FIGURES, BRIDGE),
            Panel(
                "Delay from device to bridge",
                'SELECT mean("lag_s") FROM /^aedmon_/ WHERE $timeFilter '
                'GROUP BY time($__interval), "site" fill(null)',
                "s",
            ),
        ),
    ),
)


def variable(name: str, query: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "query",
        "datasource": DATASOURCE,
        "query": query,
        "refresh": 1,
        "includeAll": True,
        "allValue": ".*",
        "multi": False,
        "current": {"text": "All", "value": "$__all"},
    }


def mappings(panel: Panel) -> dict[str, Any]:
    """Grafana's value mappings: a level field's numbers shown as their names."""
    if not panel.levels:
        return {}
    options = {str(level): {"text": name, "index": index} for index, (level, name) in enumerate(panel.levels)}
    return {"mappings": [{"type": "value", "options": options}]}


def render(board: Dashboard) -> dict[str, Any]:
    panels = []
    for index, panel in enumerate(board.panels):
        panels.append(
            {
                "id": index + 1,
                "type": panel.kind,
                "title": panel.title,
                "datasource": DATASOURCE,
                "gridPos": {"h": 8, "w": 12, "x": 12 * (index % 2), "y": 8 * (index // 2)},
                "fieldConfig": {"defaults": {"unit": panel.unit, **mappings(panel)}, "overrides": []},
                "targets": [{"refId": "A", "datasource": DATASOURCE, "rawQuery": True, "query": panel.query,
                             "resultFormat": "time_series"}],
            }
        )  # fmt: skip
    return {
        "uid": board.uid,
        "title": board.title,
        "tags": ["aedmon"],
        "timezone": "browser",  # the reader's own zone, never UTC: people read these
        "schemaVersion": 39,
        "refresh": "1m",
        "time": {"from": "now-7d", "to": "now"},
        "templating": {"list": [variable(name, query) for name, query in board.variables]},
        "panels": panels,
    }


def rendered() -> dict[str, str]:
    """File name → JSON text of every dashboard."""
    return {f"{b.uid}.json": json.dumps(render(b), indent=2, ensure_ascii=False) + "\n" for b in DASHBOARDS}


if __name__ == "__main__":
    for name, text in rendered().items():
        (HERE / name).write_text(text)
