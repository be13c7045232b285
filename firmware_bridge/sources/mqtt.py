"""The MQTT source: paho-mqtt 2.x with a fixed client id, a persistent session and QoS 1.

paho's network thread only parses and enqueues; a worker thread commits each reading to
the outbox and only then sends the PUBACK (manual ack), in arrival order as MQTT wants.
A malformed message, or one the parser cannot handle at all, is counted, logged and
acknowledged, so it is not redelivered forever and never stops the worker. When the outbox
cannot commit (disk full), nothing is acknowledged: the worker holds that message, retries
with backoff, and the broker keeps the rest until space returns.
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from aedmon.clock import Clock
from aedmon.errors import ProtocolError, StorageUnavailable
from aedmon.logs import Throttle
from aedmon.protocols.broker import BrokerAddress
from aedmon.protocols.mqtt_payloads import SUBSCRIPTION, parse_message
from aedmon.reading import DeviceKind, Reading
from firmware_bridge import metrics
from firmware_bridge.outbox import Outbox

log = logging.getLogger(__name__)

SOURCE = "mqtt"


class MqttSource:
    def __init__(
        self,
        broker: BrokerAddress,
        outbox: Outbox,
        clock: Clock,
        *,
        client_id: str,
        shared_group: str | None = None,
    ) -> None:
        self.broker, self.outbox, self.clock = broker, outbox, clock
        self.topic = f"$share/{shared_group}/{SUBSCRIPTION}" if shared_group else SUBSCRIPTION
        self.connected = threading.Event()
        self._queue: queue.Queue[mqtt.MQTTMessage | None] = queue.Queue()
        self._kinds: dict[str, DeviceKind] = {}
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
        self.worker = threading.Thread(target=self._work, name="mqtt-worker", daemon=True)

    def start(self) -> None:
        self.worker.start()
        log.info("connecting to the broker", extra={"broker": str(self.broker)})
        self._client.connect_async(self.broker.host, self.broker.port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        self._stopping.set()
        self._client.disconnect()
        self._client.loop_stop()
        self._queue.put(None)
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
        metrics.RECONNECTS.labels(SOURCE).inc()
        client.subscribe(self.topic, qos=1)

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, props: Any) -> None:
        if any(reason.is_failure for reason in reasons):
            log.error("broker refused the subscription", extra={"topic": self.topic})
            return
        log.info("subscribed", extra={"topic": self.topic})
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
        self._queue.put(message)

    # worker thread
    def _work(self) -> None:
        while (message := self._queue.get()) is not None:
            self._handle(message)

    def _handle(self, message: mqtt.MQTTMessage) -> None:
        try:
            reading = parse_message(
                message.topic, bytes(message.payload), arrival=self.clock(), source=SOURCE
            )
        except ProtocolError as exc:
            self._reject(message, exc.reason, str(exc))
            return
        except Exception as exc:  # noqa: BLE001  one message can fail only itself
            self._reject(message, "unreadable", f"{exc.__class__.__name__}: {str(exc)[:200]}")
            return
        # Kind sticks per device: a cabinet's location message says nothing of its kind.
        if reading.kind is None:
            kind = self._kinds.get(reading.device_id)
            if kind is not None:
                reading = reading.model_copy(update={"kind": kind})
        else:
            self._kinds[reading.device_id] = reading.kind
        added = self._store(reading)
        if added is None:
            return  # stopping before it could be stored: unacknowledged, the broker keeps it
        if added:
            metrics.READINGS_IN.labels(SOURCE, reading.type.value).inc()
            log.info(
                "reading stored",
                extra={"device": reading.device_id, "type": reading.type.value, "seq": reading.seq},
            )
        else:
            metrics.DUPLICATES.labels(SOURCE).inc()
        self._client.ack(message.mid, message.qos)

    def _reject(self, message: mqtt.MQTTMessage, reason: str, error: str) -> None:
        metrics.REJECTED.labels(SOURCE, reason).inc()
        log.warning(
            "message rejected", extra={"topic": message.topic[:120], "reason": reason, "error": error}
        )
        self._client.ack(message.mid, message.qos)

    def _store(self, reading: Reading) -> bool | None:
        """Commit the reading, waiting out a full disk; None if the bridge stops first."""
        backoff, told = 0.5, Throttle()
        while not self._stopping.is_set():
            try:
                return self.outbox.append(reading)
            except StorageUnavailable as exc:
                metrics.STORAGE_ERRORS.labels(SOURCE).inc()
                if told.due():
                    log.error(
                        "outbox cannot store; nothing is acknowledged until it can (the broker keeps "
                        "the messages)",
                        extra={"error": str(exc)},
                    )
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 10.0)
        return None
