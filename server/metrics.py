"""The server's Prometheus counters, served at /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

READINGS_INGESTED = Counter("aedmon_server_readings_total", "Readings stored", ["type"])
READINGS_DUPLICATE = Counter("aedmon_server_duplicates_total", "Readings already stored (repeats)")
READINGS_REJECTED = Counter("aedmon_server_rejected_total", "Readings refused at ingest", ["reason"])
FIELDS_DROPPED = Counter(
    "aedmon_server_fields_dropped_total",
    "Unknown reading fields that could not be kept (too deep, too long, too many); their readings were kept",
)
DEVICES_REGISTERED = Counter(
    "aedmon_server_devices_registered_total", "Unknown devices registered unconfirmed"
)
ALERTS_OPENED = Counter("aedmon_server_alerts_opened_total", "Alerts opened", ["type", "severity"])
ALERTS_RESOLVED = Counter("aedmon_server_alerts_resolved_total", "Alerts resolved by themselves", ["type"])
NOTIFY_ATTEMPTS = Counter(
    "aedmon_server_notification_attempts_total",
    "Attempts to tell a contact, per channel (a service's name, or webhook, email, mqtt) and outcome",
    ["channel", "outcome"],
)
EVALUATED = Gauge(
    "aedmon_server_evaluated_timestamp_seconds",
    "When this server's scheduler last ran the time-driven rules against the database (Unix time)",
)
BRIDGE_HEARD = Gauge(
    "aedmon_server_bridge_heard_timestamp_seconds",
    "When this server last took a heartbeat from each bridge (Unix time); one series per bridge",
    ["bridge"],
)
