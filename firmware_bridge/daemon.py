"""The bridge daemon: wiring and supervision. Sources → outbox → one drain per sink.

Every long-running worker (each serial port, the MQTT worker, each drain, the heartbeat) is
supervised: handling one message can fail only that message, and a worker that dies anyway
ends the process with one clear line and exit code 70, so its supervisor (systemd, a
container runtime) starts it again. A bridge that heartbeats while deaf is the worst failure.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from prometheus_client import start_http_server

from aedmon import __version__, systemd
from aedmon.clock import Clock, utc_now
from aedmon.config import read_secret
from aedmon.errors import StorageUnavailable
from aedmon.profiles import Profiles
from aedmon.protocols import DEFAULT_LINE_PROTOCOL, LINE_PROTOCOLS, LineContext
from aedmon.protocols.broker import BrokerAddress
from aedmon.protocols.lorawan import CHIRPSTACK_BASE, THINGS_STACK_BASE, ChirpStack, Chosen, ThingsStack
from aedmon.protocols.sensors import Translator
from aedmon.protocols.zigbee2mqtt import BASE as ZIGBEE2MQTT_BASE
from aedmon.protocols.zigbee2mqtt import Zigbee2Mqtt
from aedmon.reading import DeviceKind, DeviceState, Reading, ReadingType
from firmware_bridge import metrics
from firmware_bridge.assignments import DEADLINE_S, Assignments
from firmware_bridge.outbox import Outbox
from firmware_bridge.settings import NETWORKS, BridgeSettings
from firmware_bridge.sinks.base import Drain, Sink
from firmware_bridge.sinks.server import ServerSink
from firmware_bridge.sources.mqtt import MqttSource
from firmware_bridge.sources.serial import SerialSource

log = logging.getLogger(__name__)

EXIT_WORKER_DIED = 70  # EX_SOFTWARE


def rejected_total() -> int:
    """Input rejected by this bridge since it started, every source and reason together."""
    families = metrics.REJECTED.collect()
    return int(sum(s.value for family in families for s in family.samples if s.name.endswith("_total")))


def parse_serial_option(option: str) -> tuple[str, str]:
    """`[PROTOCOL=]URL` → (protocol, url); the protocol defaults to serial-aed."""
    name, sep, url = option.partition("=")
    if sep and re.fullmatch(r"[a-z0-9-]+", name):
        if name not in LINE_PROTOCOLS:
            known = ", ".join(sorted(LINE_PROTOCOLS))
            raise ValueError(f"unknown serial protocol {name!r}; known: {known}")
        return name, url
    return DEFAULT_LINE_PROTOCOL, option


def network_sources(config: BridgeSettings, chosen: Chosen) -> list[tuple[BrokerAddress, Translator]]:
    """The sensor networks the bridge listens to, each on its own broker: (address, translator).
    Profiles are read once, and only when a LoRaWAN network is asked for; `chosen` names a
    device's profile as its record at the server says."""
    sources: list[tuple[BrokerAddress, Translator]] = []
    profiles = Profiles.load(config.profiles_dir) if config.chirpstack or config.things_stack else None
    for option in NETWORKS:
        url = getattr(config, option)
        if not url:
            continue
        flag = "--" + option.replace("_", "-")
        secret = getattr(config, f"{option}_password_file")
        broker = BrokerAddress.parse(
            url,
            password=read_secret(secret, f"{flag}-password-file") if secret else None,
            username=getattr(config, f"{option}_user"),
            option=flag,
        )
        translator: Translator
        if option == "chirpstack":
            assert profiles is not None
            translator = ChirpStack(config.site, profiles, broker.base or CHIRPSTACK_BASE, chosen)
        elif option == "things_stack":
            assert profiles is not None
            translator = ThingsStack(config.site, profiles, broker.base or THINGS_STACK_BASE, chosen)
        else:
            translator = Zigbee2Mqtt(config.site, broker.base or ZIGBEE2MQTT_BASE)
        sources.append((broker, translator))
    return sources


class Bridge:
    def __init__(self, config: BridgeSettings, clock: Clock = utc_now) -> None:
        self.config = config
        self.clock = clock
        self.stop_event = threading.Event()
        self.exit_code = 0
        sinks: list[Sink] = [ServerSink(config.server, config.token)]
        if config.influx_url:
            # imported only when asked for: influxdb-client's package loads its whole generated
            # API (about 20 MiB) into a bridge that may never write to InfluxDB
            from firmware_bridge.sinks.influx import InfluxSink

            sinks.append(
                InfluxSink(
                    config.influx_url,
                    config.influx_token or "",
                    config.influx_org or "aedmon",
                    config.influx_bucket or "aedmon",
                )
            )
        self.sinks = sinks
        self.bridge_id = config.bridge_id or f"bridge-{config.site}"[:64]
        self.outbox = Outbox(
            config.outbox,
            sinks=[s.name for s in sinks],
            max_rows=config.outbox_max_rows,
            bridge=self.bridge_id,
            max_bytes=None if config.outbox_max_mb is None else int(config.outbox_max_mb * 1024 * 1024),
            clock=clock,
        )
        self.heartbeat = threading.Thread(target=self._beat, name="bridge-heartbeat", daemon=True)
        self.last_beat_stored: float | None = None  # monotonic: the outbox took the last heartbeat then
        self._deaf_since: dict[str, float] = {}
        self.drains = [Drain(self.outbox, sink, self.stop_event) for sink in sinks]
        lines = [parse_serial_option(option) for option in config.serial]
        if config.gnss:
            lines.append(("nmea", config.gnss))
        gnss = LineContext(config.site, config.gnss_device, timedelta(seconds=config.gnss_interval_s))
        self.serial_sources = [
            SerialSource(
                url,
                LINE_PROTOCOLS[name](gnss if name == "nmea" else LineContext(config.site)),
                self.outbox,
                self.stop_event,
                clock,
                baudrate=config.baudrate,
            )
            for name, url in lines
        ]
        self.mqtt: MqttSource | None = None
        if config.mqtt:
            self.mqtt = MqttSource(
                BrokerAddress.parse(config.mqtt, password=config.mqtt_password),
                self.outbox,
                clock,
                client_id=config.mqtt_client_id or f"aedmon-bridge-{config.site}",
                shared_group=config.mqtt_shared_group,
            )
        lorawan = bool(config.chirpstack or config.things_stack)
        self.assignments = Assignments(config.server, config.token, self.stop_event) if lorawan else None
        chosen: Chosen = self.assignments or (lambda device: None)
        self.networks = [
            MqttSource(
                broker, self.outbox, clock, client_id=f"aedmon-bridge-{config.site}-{t.source}", translator=t
            )
            for broker, t in network_sources(config, chosen)
        ]

    @property
    def brokers(self) -> list[MqttSource]:
        return [*([self.mqtt] if self.mqtt else []), *self.networks]

    @property
    def workers(self) -> list[threading.Thread]:
        """The threads that must live as long as the bridge does."""
        return [
            *self.drains,
            *self.serial_sources,
            *(source.worker for source in self.brokers),
            *([self.assignments] if self.assignments else []),
            self.heartbeat,
        ]

    def _supervise(self, thread: threading.Thread) -> None:
        """Make the thread's death end the process loudly instead of leaving it deaf."""
        body: Callable[[], None] = thread.run

        def run() -> None:
            try:
                body()
            except BaseException as exc:
                self._died(thread.name, exc)
                raise
            if not self.stop_event.is_set():
                self._died(thread.name, None)

        thread.run = run  # type: ignore[method-assign]

    def _died(self, name: str, exc: BaseException | None) -> None:
        why = "returned" if exc is None else f"{exc.__class__.__name__}: {str(exc)[:300]}"
        log.critical(
            "worker %s died (%s); the bridge exits so that its supervisor restarts it",
            name,
            why,
            exc_info=exc,
        )
        self.exit_code = EXIT_WORKER_DIED
        self.stop_event.set()

    def start(self) -> None:
        for thread in self.workers:
            self._supervise(thread)
        if self.config.metrics_port:
            start_http_server(self.config.metrics_port, addr="127.0.0.1")
        metrics.OUTBOX_ROWS.set_function(lambda: self.outbox.rows)
        metrics.OUTBOX_DROPPED.set_function(lambda: self.outbox.dropped)
        for sink in self.sinks:
            # read at scrape time, so a scrape never sees a stale zero
            metrics.SINK_LAG.labels(sink.name).set_function(partial(self.outbox.depth, sink.name))
        started_with_sources = {source.worker for source in self.brokers}
        for thread in self.workers:
            if thread not in started_with_sources:
                thread.start()
        if self.assignments is not None:  # the sensors' chosen profiles before their first uplink
            self.assignments.tried.wait(DEADLINE_S + 1)
        for source in self.brokers:
            source.start()
        log.info(
            "bridge started",
            extra={
                "site": self.config.site,
                "serial_ports": len(self.config.serial),
                "gnss": bool(self.config.gnss),
                "mqtt": bool(self.mqtt),
                "networks": ",".join(source.source for source in self.networks),
                "sinks": ",".join(s.name for s in self.sinks),
                "outbox_rows": self.outbox.rows,
            },
        )

    def _beat(self) -> None:
        """The bridge's own heartbeat: a reading about itself, so the server can tell a bridge
        that went away (bridge_offline) from devices that went quiet, and dashboards its health."""
        seq = 0
        while not self.stop_event.is_set():
            now = self.clock()
            try:
                self.outbox.append(self._report(now, seq))
                self.last_beat_stored = time.monotonic()
            except StorageUnavailable as exc:
                log.error("heartbeat not stored: outbox cannot store", extra={"error": str(exc)})
            seq = (seq + 1) % 65536
            self.stop_event.wait(self.config.heartbeat_interval_s)

    def _report(self, now: datetime, seq: int) -> Reading:
        alive = [thread for thread in self.workers if thread.is_alive()]
        return Reading(
            device_id=self.bridge_id,
            site=self.config.site,
            kind=DeviceKind.BRIDGE,
            type=ReadingType.HEARTBEAT,
            device_time=now,
            arrival_time=now,
            seq=seq,
            state=DeviceState.READY,
            source="bridge",
            extra={
                "version": __version__,
                "outbox_rows": self.outbox.rows,
                "dropped": self.outbox.dropped,
                "rejected": rejected_total(),
                "dead_letters": self.outbox.dead_letter_count(),
                "storage_errors": self.outbox.storage_errors,
                "outbox_salvaged": self.outbox.salvaged,
                "workers": len(self.workers),
                "workers_alive": len(alive),
                **{f"sink_lag_{sink.name}": self.outbox.depth(sink.name) for sink in self.sinks},
                **{
                    f"write_ms_{drain.sink.name}": round(drain.last_write_s * 1000, 1)
                    for drain in self.drains
                    if drain.last_write_s is not None
                },
            },
        )

    def unwell(self) -> str | None:
        """Why the bridge is not well (None when it is): a worker not running, an outbox that took no
        heartbeat for three intervals, or a source deaf (not connected) for --deaf-after-s. Systemd's
        watchdog is fed only while it is well, so a deaf bridge is restarted."""
        now = time.monotonic()
        for thread in self.workers:
            if not thread.is_alive():
                return f"worker {thread.name} is not running"
        stale_s = 3 * self.config.heartbeat_interval_s + 10
        if self.last_beat_stored is None or now - self.last_beat_stored > stale_s:
            return f"the outbox has taken no heartbeat for more than {stale_s:g} s"
        heard = [(s.source, s.connected) for s in self.serial_sources] + [
            (s.source, s.connected) for s in self.brokers
        ]
        for name, connected in heard:
            if connected.is_set():
                self._deaf_since.pop(name, None)
                continue
            since = self._deaf_since.setdefault(name, now)
            if now - since > self.config.deaf_after_s:
                return f"{name} has not been connected for {now - since:.0f} s"
        return None

    def shutdown(self) -> None:
        self.stop_event.set()
        for source in self.brokers:
            source.stop()
        for thread in [*self.drains, *self.serial_sources]:
            thread.join(timeout=5)
        self.outbox.close()
        log.info("bridge stopped")

    def run_forever(self) -> int:
        """Run until SIGINT/SIGTERM (exit code 0) or a worker's death (EXIT_WORKER_DIED). Under
        systemd (Type=notify): READY=1 once started, the watchdog fed while well, STOPPING=1."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stop_event.set())
        self.start()
        systemd.notify(f"READY=1\nSTATUS=bridge for {self.config.site} started")
        systemd.start_watchdog(self.unwell, self.stop_event)
        self.stop_event.wait()
        systemd.notify("STOPPING=1")
        self.shutdown()
        return self.exit_code
