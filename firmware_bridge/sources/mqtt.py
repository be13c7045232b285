"""An MQTT source: paho-mqtt 2.x with a fixed client id, a persistent session and QoS 1.

One source serves one broker and one translator (aedmon.protocols.sensors.Translator): the
device contract's messages (aedmon/v1), or a network's: ChirpStack, The Things Stack,
Zigbee2MQTT. The translator reads; everything below is the same for all of them.

paho's network thread only parses and enqueues, in two lanes of one bounded queue (Lanes):
what may raise an alert goes ahead of routine traffic, and a full queue holds the network
thread, so the broker keeps what the bridge cannot take yet (memory stays bounded under a
flood). A worker thread takes what has arrived, alerting messages first, and commits it to
the outbox in one transaction (a group commit: one sync to disk for all the messages that
came together); only then it sends their PUBACKs (manual ack), in arrival order as MQTT
wants, each once every message that arrived before it is committed too.
A malformed message, or one the parser cannot handle at all, is counted, logged and
acknowledged, so it is not redelivered forever and never stops the worker. When the outbox
cannot commit (disk full), nothing is acknowledged: the worker holds those messages, retries
with backoff, and the broker keeps the rest until space returns.
"""

from __future__ import annotations

import logging
import ssl
import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from aedmon.clock import Clock
from aedmon.errors import ProtocolError, StorageUnavailable
from aedmon.logs import Throttle
from aedmon.protocols.broker import BrokerAddress
from aedmon.protocols.mqtt_payloads import AedmonMqtt
from aedmon.protocols.sensors import Translator
from aedmon.reading import DROPPED_KEY, Reading
from firmware_bridge import metrics
from firmware_bridge.outbox import Outbox

from .lanes import Arrival, Lanes

log = logging.getLogger(__name__)

GROUP = 1000  # messages committed to the outbox together, at most
QUEUED = 5000  # messages parsed and waiting for the worker, at most

Parsed = tuple[mqtt.MQTTMessage, list[Reading]]  # a message and its readings (none: rejected or unread)


class MqttSource:
    def __init__(
        self,
        broker: BrokerAddress,
        outbox: Outbox,
        clock: Clock,
        *,
        client_id: str,
        shared_group: str | None = None,
        translator: Translator | None = None,
    ) -> None:
        self.broker, self.outbox, self.clock = broker, outbox, clock
        self.translator: Translator = translator or AedmonMqtt(shared_group)
        self.source = self.translator.source
        self.topics = self.translator.subscriptions()
        self.connected = threading.Event()
        self._lanes: Lanes[Parsed] = Lanes(QUEUED)
        self._committed: set[int] = set()  # arrivals committed (or rejected) and not yet acknowledged
        self._unacked: dict[int, mqtt.MQTTMessage] = {}
        self._next_ack = 0
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        if broker.username:
            self._client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            self._client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_connect_fail = self._on_connect_fail
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe
        self._stopping = threading.Event()
        self.worker = threading.Thread(target=self._work, name=f"{self.source}-worker", daemon=True)

    def start(self) -> None:
        self.worker.start()
        log.info("connecting to the broker", extra={"broker": str(self.broker)})
        self._client.connect_async(self.broker.host, self.broker.port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        self._stopping.set()
        self._client.disconnect()
        self._lanes.close()
        self._client.loop_stop()
        self.worker.join(timeout=10)

    # paho's network thread: nothing here may block
    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            log.warning(
                "broker refused connection", extra={"broker": str(self.broker), "reason": str(reason)}
            )
            return
        log.info(
            "broker connected", extra={"broker": str(self.broker), "session_present": flags.session_present}
        )
        metrics.RECONNECTS.labels(self.source).inc()
        client.subscribe([(topic, 1) for topic in self.topics])

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, props: Any) -> None:
        if any(reason.is_failure for reason in reasons):
            log.error("broker refused the subscription", extra={"topic": ", ".join(self.topics)})
            return
        log.info("subscribed", extra={"topic": ", ".join(self.topics)})
        self.connected.set()  # ready only once the broker has the subscription

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        self.connected.clear()
        log.warning(
            "broker disconnected; paho reconnects with backoff of 1 to 30 s",
            extra={"broker": str(self.broker), "reason": str(reason)},
        )

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        log.warning(
            "broker unreachable; retrying with backoff of 1 to 30 s", extra={"broker": str(self.broker)}
        )

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        readings = self._read(message)  # parse only; waits when the queue is full (back-pressure)
        urgent = any(reading.may_alert for reading in readings)
        self._lanes.put((message, readings), urgent=urgent, key=readings[0].device_id if readings else None)

    # worker thread
    def _work(self) -> None:
        """Take what has arrived, alerting messages first, up to GROUP, commit it in one
        transaction, and only then acknowledge what may be, in arrival order."""
        while (group := self._lanes.take(GROUP)) is not None:
            if not self._handle(group):
                return

    def _handle(self, group: list[Arrival[Parsed]]) -> bool:
        """Commit the group's readings and acknowledge; False if the bridge stops first."""
        readings = [reading for arrival in group for reading in arrival.item[1]]
        added = self._store(readings) if readings else []
        if added is None:
            return False  # stopping before they could be stored: unacknowledged, the broker keeps them
        for reading, new in zip(readings, added, strict=True):
            if new:
                metrics.READINGS_IN.labels(self.source, reading.type.value).inc()
                log.debug(
                    "reading stored",
                    extra={"device": reading.device_id, "type": reading.type.value, "seq": reading.seq},
                )
            else:
                metrics.DUPLICATES.labels(self.source).inc()
        if readings:
            log.info("readings stored", extra={"stored": sum(added), "repeats": len(added) - sum(added)})
        for arrival in group:
            self._committed.add(arrival.number)
            self._unacked[arrival.number] = arrival.item[0]
        while self._next_ack in self._committed:  # MQTT acknowledges in the order of arrival
            self._committed.discard(self._next_ack)
            message = self._unacked.pop(self._next_ack)
            self._client.ack(message.mid, message.qos)
            self._next_ack += 1
        return True

    def _read(self, message: mqtt.MQTTMessage) -> list[Reading]:
        """The message's readings; none when it is rejected (counted and logged, and acknowledged
        with its group, so that it is not delivered again forever) or says nothing to keep."""
        try:
            translation = self.translator.translate(
                message.topic, bytes(message.payload), arrival=self.clock()
            )
        except ProtocolError as exc:
            self._reject(message, exc.reason, str(exc))
            return []
        except Exception as exc:  # noqa: BLE001  one message can fail only itself
            self._reject(message, "unreadable", f"{exc.__class__.__name__}: {str(exc)[:200]}")
            return []
        if translation.unread is not None:
            metrics.UNREAD.labels(self.source, translation.unread).inc()
            if translation.unread in ("undecoded", "no_profile"):
                log.warning(
                    "uplink without sensor fields: kept as the sensor being heard",
                    extra={
                        "device": translation.readings[0].device_id if translation.readings else "",
                        "reason": translation.unread,
                    },
                )
        for reading in translation.readings:
            dropped = reading.extra.get(DROPPED_KEY)
            if dropped:
                metrics.FIELDS_DROPPED.labels(self.source).inc(len(dropped))
                log.warning(
                    "fields that cannot be kept dropped; the reading is kept",
                    extra={"topic": message.topic[:120], "fields": ", ".join(dropped)[:300]},
                )
        return translation.readings

    def _reject(self, message: mqtt.MQTTMessage, reason: str, error: str) -> None:
        metrics.REJECTED.labels(self.source, reason).inc()
        log.warning(
            "message rejected", extra={"topic": message.topic[:120], "reason": reason, "error": error}
        )

    def _store(self, readings: list[Reading]) -> list[bool] | None:
        """Commit the readings, waiting out a full disk; None if the bridge stops first. Those
        that cannot go in together (an outbox near its bound has room for some) go in halves,
        down to one at a time, so a group never waits for more room than one reading needs."""
        backoff, told = 0.5, Throttle()
        while not self._stopping.is_set():
            try:
                return self.outbox.append_many(readings)
            except StorageUnavailable as exc:
                metrics.STORAGE_ERRORS.labels(self.source).inc()
                if len(readings) > 1:
                    middle = len(readings) // 2
                    first = self._store(readings[:middle])
                    rest = None if first is None else self._store(readings[middle:])
                    return None if first is None or rest is None else first + rest
                if told.due():
                    log.error(
                        "outbox cannot store; nothing is acknowledged until it can (the broker keeps "
                        "the messages)",
                        extra={"error": str(exc)},
                    )
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 10.0)
        return None
