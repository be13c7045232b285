"""`aedmon server --home-assistant URL`: each device's readiness, problem, door, temperature and
expiry dates published for Home Assistant's MQTT discovery (server.homeassistant.discovery).

- Configs and states are retained, QoS 1, and published only when they changed.
- Each server keeps its own status topic (`aedmon/ha/status/<server>`, `online`, with a
  retained `offline` as its last will) and learns the others' from theirs: every config lists
  itself and the servers online (at most MAX_SERVERS), `availability_mode: any`, and is
  published again when that list changes; a server that went offline leaves the list, so
  Home Assistant needs only one listed server alive.
- A verdict or alert change (the store's change feed, which every server reads) is published
  within a second or two; everything else (a new device, a name, a temperature) by a pass over
  the devices in scope every `--home-assistant-interval-s`, a page at a time, each page one short
  read (never a transaction held across a publish).
- A device retired, deleted or out of scope has its entities removed (an empty retained config
  each), also one published by an earlier run: the configs retained on the broker are read
  back at start.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import ssl
import threading
from collections.abc import Callable, Iterable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from aedmon.clock import Clock
from aedmon.protocols.broker import BrokerAddress
from aedmon.reading import DeviceKind
from server import store
from server.rules.readiness import Readiness
from server.store.models import Device, ReadinessSnapshot, Site

from .discovery import (
    ENTITIES,
    NODE,
    OFFLINE,
    ONLINE,
    STATE_TOPIC,
    STATUS_TOPIC,
    DeviceView,
    configs,
    encoded,
    removals,
    state,
)

log = logging.getLogger(__name__)

PAGE = 500
MAX_SERVERS = 16  # status topics listed in each config, at most: junk on the broker cannot bloat them
SERVER_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
FOLLOW_S = 1.0  # how often the change feed is read
SETTLE_S = 2.0  # after connecting, time for the broker's retained messages to arrive
_STATUS_PREFIX = STATUS_TOPIC.format(server="")
_KEYS = sorted((key for key, _ in ENTITIES), key=len, reverse=True)

Sessions = Callable[[], Session]


def _digest(parts: Iterable[bytes]) -> str:
    hashed = hashlib.sha256()
    for part in parts:
        hashed.update(part)
        hashed.update(b"\0")
    return hashed.hexdigest()


class HomeAssistantPublisher:
    def __init__(
        self,
        broker: BrokerAddress,
        sessions: Sessions,
        clock: Clock,
        *,
        server_id: str,
        prefix: str = "homeassistant",
        sites: Iterable[str] = (),
        areas: Iterable[str] = (),
        language: str = "en",
        interval_s: float = 30.0,
    ) -> None:
        self.broker, self.sessions, self.clock = broker, sessions, clock
        self.server_id, self.prefix = server_id, prefix.strip("/") or "homeassistant"
        self.sites, self.areas = frozenset(s.lower() for s in sites), frozenset(areas)
        self.language, self.interval_s = language, interval_s
        self.status_topic = STATUS_TOPIC.format(server=server_id)
        self.servers: set[str] = {server_id}  # listed in the configs: this one and those online
        self._online: set[str] = set()  # the other servers whose status says online
        self._lock = threading.Lock()
        self._servers_changed = threading.Event()
        self._connected = threading.Event()
        self._fresh = threading.Event()  # (re)connected: publish everything again
        self._stop = threading.Event()
        self._published: dict[str, tuple[str, str, frozenset[str]]] = {}  # device → (configs, state, topics)
        self._on_broker: set[str] = set()  # devices whose configs the broker holds retained
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"aedmon-server-ha-{server_id}"[:64], clean_session=True
        )
        if broker.username:
            self._client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            self._client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        self._client.will_set(self.status_topic, OFFLINE.encode(), qos=1, retain=True)
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self.thread = threading.Thread(target=self._run, name="home-assistant", daemon=True)

    def start(self) -> None:
        log.info(
            "publishing for Home Assistant", extra={"broker": str(self.broker), "server": self.server_id}
        )
        self._client.connect_async(self.broker.host, self.broker.port, keepalive=30)
        self._client.loop_start()
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=10)
        if self._connected.is_set():
            info = self._client.publish(self.status_topic, OFFLINE.encode(), qos=1, retain=True)
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(timeout=3)
        self._client.disconnect()
        self._client.loop_stop()

    # paho's network thread
    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            log.warning("Home Assistant's broker refused the connection", extra={"reason": str(reason)})
            return
        client.publish(self.status_topic, ONLINE.encode(), qos=1, retain=True)
        client.subscribe([(STATUS_TOPIC.format(server="+"), 1), (f"{self.prefix}/+/{NODE}/+/config", 1)])
        self._fresh.set()
        self._connected.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        self._connected.clear()
        log.warning("Home Assistant's broker disconnected; reconnecting", extra={"reason": str(reason)})

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        topic = message.topic
        if topic.startswith(_STATUS_PREFIX):
            server = topic[len(_STATUS_PREFIX) :]
            if not SERVER_RE.match(server):
                return  # not a server's status: nothing any config will list
            if server == self.server_id:
                return  # this server is always listed
            with self._lock:
                before = self.servers
                serving = bytes(message.payload) == ONLINE.encode()  # offline, empty, junk: not serving
                online = self._online | {server} if serving else self._online - {server}
                self._online = online
                self.servers = {self.server_id, *sorted(online)[: MAX_SERVERS - 1]}
                if self.servers != before:
                    self._servers_changed.set()
            return
        device = _device_of(topic)
        if device is not None and message.payload:
            with self._lock:
                self._on_broker.add(device)

    # the publisher's thread
    def _run(self) -> None:
        after_id = 0
        next_pass = 0.0
        swept = False
        while not self._stop.is_set():
            if not self._connected.wait(1.0):
                continue
            if self._fresh.is_set():
                self._stop.wait(SETTLE_S)  # the retained statuses and configs come first
                self._fresh.clear()
                self._published.clear()
                next_pass, swept = 0.0, False
                with self.sessions() as session:
                    after_id = store.changes.newest_id(session)
            if self._servers_changed.is_set():
                self._servers_changed.clear()
                self._published.clear()
                next_pass = 0.0
            try:
                now = self.clock().timestamp()
                if now >= next_pass:
                    self._pass(sweep=True)
                    swept = True
                    next_pass = now + self.interval_s
                elif swept:
                    after_id = self._follow(after_id)
            except Exception:  # noqa: BLE001  a pass that fails is tried again, the publisher lives on
                log.exception("Home Assistant publishing failed; trying again")
                self._stop.wait(5)
            self._stop.wait(FOLLOW_S)

    def _pass(self, *, sweep: bool) -> None:
        """Every device in scope, a page at a time; then remove what is no longer in it."""
        seen: set[str] = set()
        after = ""
        while not self._stop.is_set() and self._connected.is_set():
            views = self._views(after=after)
            for view in views:
                self._publish(view)
                seen.add(view.id)
            if len(views) < PAGE:
                break
            after = views[-1].id
        else:
            return  # stopped or disconnected: the next pass does it
        if sweep:
            with self._lock:
                gone = (set(self._published) | self._on_broker) - seen
            for device in sorted(gone):
                self._remove(device)

    def _follow(self, after_id: int) -> int:
        """Publish at once the devices whose verdict or alerts changed since the last look."""
        with self.sessions() as session:
            fresh = store.changes.since(session, after_id)
        if not fresh:
            return after_id
        devices = sorted({c.device_id for c in fresh if c.device_id})
        for view in self._views(ids=devices):
            self._publish(view)
        return fresh[-1].id

    def _views(self, *, after: str | None = None, ids: list[str] | None = None) -> list[DeviceView]:
        columns = (
            Device, Site.name, Site.language, ReadinessSnapshot.readiness, ReadinessSnapshot.reasons,
            ReadinessSnapshot.pads_expiry, ReadinessSnapshot.battery_expiry, ReadinessSnapshot.door_open,
            ReadinessSnapshot.temp_c,
        )  # fmt: skip
        query = (
            select(*columns)
            .join(Site, Site.id == Device.site)
            .outerjoin(ReadinessSnapshot, ReadinessSnapshot.device_id == Device.id)
            .where(Device.retired_at.is_(None), Device.kind != DeviceKind.BRIDGE.value)
        )
        if self.sites or self.areas:
            query = query.where(or_(Device.site.in_(self.sites), Site.area_id.in_(self.areas)))
        if ids is not None:
            query = query.where(Device.id.in_(ids))
        else:
            query = query.where(Device.id > (after or "")).order_by(Device.id).limit(PAGE)
        with self.sessions() as session:
            rows = session.execute(query).all()
        return [
            DeviceView(
                id=device.id,
                kind=DeviceKind(device.kind),
                name=device.name,
                site_name=site_name or device.site,
                manufacturer=device.manufacturer,
                model=device.model,
                firmware=device.firmware,
                readiness=Readiness(readiness) if readiness else Readiness.UNKNOWN,
                reasons=tuple(str(r.get("key", "")) for r in reasons or [] if isinstance(r, dict)),
                door_open=door_open,
                temp_c=temp_c,
                pads_expiry=pads_expiry,
                battery_expiry=battery_expiry,
                language=site_language or self.language,
            )
            for device, site_name, site_language, readiness, reasons, pads_expiry, battery_expiry, door_open, temp_c in rows  # noqa: E501
        ]

    def _publish(self, view: DeviceView) -> None:
        with self._lock:
            servers = sorted(self.servers)
        config = {topic: encoded(body) for topic, body in configs(view, self.prefix, servers).items()}
        body = encoded(state(view))
        config_digest, state_digest = (
            _digest(t.encode() + b for t, b in sorted(config.items())),
            _digest([body]),
        )
        before = self._published.get(view.id)
        if before is None or before[0] != config_digest:
            for topic, payload in config.items():
                self._client.publish(topic, payload, qos=1, retain=True)
            for topic in (before[2] if before else frozenset()) - set(config):
                self._client.publish(topic, b"", qos=1, retain=True)  # an entity it no longer has
        if before is None or before[1] != state_digest:
            self._client.publish(STATE_TOPIC.format(device=view.id), body, qos=1, retain=True)
        self._published[view.id] = (config_digest, state_digest, frozenset(config))

    def _remove(self, device: str) -> None:
        for topic in removals(self.prefix, device):
            self._client.publish(topic, b"", qos=1, retain=True)
        self._client.publish(STATE_TOPIC.format(device=device), b"", qos=1, retain=True)
        self._published.pop(device, None)
        with self._lock:
            self._on_broker.discard(device)
        log.info("Home Assistant entities removed", extra={"device": device})


def _device_of(topic: str) -> str | None:
    """The device of an aedmon config topic (`<prefix>/<component>/aedmon/<device>_<key>/config`)."""
    parts = topic.split("/")
    if len(parts) != 5 or parts[2] != NODE or parts[4] != "config":
        return None
    object_id = parts[3]
    for key in _KEYS:
        if object_id.endswith("_" + key):
            return object_id[: -len(key) - 1] or None
    return None


def default_server_id(host: str, port: int) -> str:
    """A server's id on the status topics: stable across restarts, one per host and port."""
    name = "".join(c if c.isalnum() or c in "-_" else "-" for c in host)[:48] or "server"
    return f"{name}-{port}"
