"""The bridge's Prometheus counters, served by `--metrics-port`."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

READINGS_IN = Counter("aedmon_bridge_readings_total", "Readings committed to the outbox", ["source", "type"])
DUPLICATES = Counter(
    "aedmon_bridge_duplicates_total", "Readings whose key was already in the outbox", ["source"]
)
REJECTED = Counter(
    "aedmon_bridge_rejected_total", "Input rejected before it became a reading", ["source", "reason"]
)
FIELDS_DROPPED = Counter(
    "aedmon_bridge_fields_dropped_total",
    "Payload fields that could not be kept (too deep, too long, one too many); their readings were kept",
    ["source"],
)
UNREAD = Counter(
    "aedmon_bridge_unread_total",
    "Messages of a network that gave no sensor fields: an uplink no codec decoded (undecoded), a sensor "
    "without a profile (no_profile, its payload kept), or a message of the network on itself",
    ["source", "reason"],
)
NOISE_BYTES = Counter(
    "aedmon_bridge_noise_bytes_total", "Bytes skipped on a serial line outside any sentence", ["source"]
)
PORT_STATE = Gauge("aedmon_bridge_port_connected", "1 while a serial port is open", ["source"])
RECONNECTS = Counter("aedmon_bridge_reconnects_total", "Times a source reconnected", ["source"])
OUTBOX_ROWS = Gauge("aedmon_bridge_outbox_rows", "Readings waiting in the outbox")
OUTBOX_DROPPED = Gauge(
    "aedmon_bridge_outbox_dropped", "Routine readings dropped at the outbox bound since start"
)
SINK_LAG = Gauge("aedmon_bridge_sink_lag", "Readings this sink has yet to deliver", ["sink"])
SINK_DELIVERED = Counter("aedmon_bridge_sink_delivered_total", "Readings delivered", ["sink"])
SINK_ERRORS = Counter("aedmon_bridge_sink_errors_total", "Failed delivery attempts", ["sink"])
SINK_SECONDS = Histogram("aedmon_bridge_sink_write_seconds", "Time to deliver one batch", ["sink"])
DEAD_LETTERS = Counter(
    "aedmon_bridge_dead_letters_total", "Readings a sink refused for good, kept as dead letters", ["sink"]
)
SINK_UNAUTHORIZED = Counter(
    "aedmon_bridge_sink_unauthorized_total", "Deliveries refused for the bridge's credentials", ["sink"]
)
STORAGE_ERRORS = Counter(
    "aedmon_bridge_storage_errors_total", "Readings that could not be committed to the outbox", ["source"]
)
UNKNOWN_SENTENCES = Counter(
    "aedmon_bridge_unknown_sentences_total",
    "Well-formed sentences of a type the line's protocol does not use (proprietary, unknown)",
    ["source", "sentence"],
)
