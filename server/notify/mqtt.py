"""MQTT channel: each alert of a message published, QoS 1, to aedmon/v1/alerts/<site>/<device>."""

from __future__ import annotations

import json
import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from aedmon.protocols.broker import BrokerAddress
from server.store.models import Contact

from .channels import ChannelError
from .messages import Message

TOPIC = "aedmon/v1/alerts/{site}/{device}"


class MqttChannel:
    name = "mqtt"

    def __init__(
        self, broker: str | None, client_id: str = "aedmon-server-notify", timeout: float = 10.0
    ) -> None:
        self.timeout = timeout
        self.connected = threading.Event()
        self._client: mqtt.Client | None = None
        if broker:
            address = BrokerAddress.parse(broker)
            client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
            if address.username:
                client.username_pw_set(address.username, address.password)
            if address.tls:
                client.tls_set()
            client.on_connect = lambda c, u, f, reason, p: (
                self.connected.set() if not reason.is_failure else None
            )
            client.on_disconnect = lambda c, u, f, reason, p: self.connected.clear()
            client.connect_async(address.host, address.port, keepalive=30)
            client.loop_start()
            self._client = client

    def serves(self, contact: Contact) -> bool:
        return contact.mqtt and self._client is not None

    def send(self, contact: Contact, message: Message, payload: dict[str, Any]) -> None:
        if self._client is None or not self.connected.wait(self.timeout):
            raise ChannelError("MQTT broker not connected")
        for alert in payload["alerts"]:
            topic = TOPIC.format(site=payload["site"], device=alert["device_id"])
            body = json.dumps({**alert, "delivery": payload["delivery"], "language": payload["language"]})
            info = self._client.publish(topic, body.encode(), qos=1)
            try:
                info.wait_for_publish(self.timeout)
            except (RuntimeError, ValueError) as exc:
                raise ChannelError(f"MQTT publish failed: {exc}") from exc
            if not info.is_published():
                raise ChannelError("MQTT publish not acknowledged in time")

    def close(self) -> None:
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
