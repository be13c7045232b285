"""The bridge daemon: wiring only. Sources → outbox → one drain per sink."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime, timedelta

from prometheus_client import start_http_server

from firmware_bridge import metrics
from firmware_bridge.outbox import Outbox
from firmware_bridge.settings import BridgeSettings
from firmware_bridge.sinks.base import Drain, Sink
from firmware_bridge.sinks.influx import InfluxSink
from firmware_bridge.sinks.server import ServerSink
from firmware_bridge.sources.mqtt import BrokerAddress, MqttSource
from firmware_bridge.sources.serial import AedDecoder, NmeaDecoder, SerialSource

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Bridge:
    def __init__(self, config: BridgeSettings) -> None:
        self.config = config
        self.stop_event = threading.Event()
        sinks: list[Sink] = [ServerSink(config.server, config.token)]
        if config.influx_url:
            sinks.append(
                InfluxSink(
                    config.influx_url,
                    config.influx_token or "",
                    config.influx_org or "aedmon",
                    config.influx_bucket or "aedmon",
                )
            )
        self.sinks = sinks
        self.outbox = Outbox(config.outbox, sinks=[s.name for s in sinks], max_rows=config.outbox_max_rows)
        self.drains = [Drain(self.outbox, sink, self.stop_event) for sink in sinks]
        self.serial_sources = [
            SerialSource(url, AedDecoder(config.site), self.outbox, self.stop_event, utc_now, baudrate=config.baudrate)
            for url in config.serial
        ]
        if config.gnss:
            decoder = NmeaDecoder(
                config.gnss_device or f"{config.site}-gnss",
                config.site,
                timedelta(seconds=config.gnss_interval_s),
            )
            self.serial_sources.append(
                SerialSource(config.gnss, decoder, self.outbox, self.stop_event, utc_now, baudrate=config.baudrate)
            )
        self.mqtt: MqttSource | None = None
        if config.mqtt:
            self.mqtt = MqttSource(
                BrokerAddress.parse(config.mqtt),
                self.outbox,
                utc_now,
                client_id=config.mqtt_client_id or f"aedmon-bridge-{config.site}",
                shared_group=config.mqtt_shared_group,
            )

    def start(self) -> None:
        if self.config.metrics_port:
            start_http_server(self.config.metrics_port, addr="127.0.0.1")
        metrics.OUTBOX_ROWS.set_function(lambda: self.outbox.rows)
        metrics.OUTBOX_DROPPED.set_function(lambda: self.outbox.dropped)
        for thread in [*self.drains, *self.serial_sources]:
            thread.start()
        if self.mqtt:
            self.mqtt.start()
        log.info(
            "bridge started",
            extra={
                "site": self.config.site,
                "serial_ports": len(self.config.serial),
                "gnss": bool(self.config.gnss),
                "mqtt": bool(self.mqtt),
                "sinks": ",".join(s.name for s in self.sinks),
                "outbox_rows": self.outbox.rows,
            },
        )

    def shutdown(self) -> None:
        self.stop_event.set()
        if self.mqtt:
            self.mqtt.stop()
        for thread in [*self.drains, *self.serial_sources]:
            thread.join(timeout=5)
        self.outbox.close()
        log.info("bridge stopped")

    def run_forever(self) -> None:
        self.start()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stop_event.set())
        self.stop_event.wait()
        self.shutdown()
