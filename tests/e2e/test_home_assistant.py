"""Readiness in Home Assistant, end to end on real Mosquitto: `aedmon server --home-assistant`
publishes discovery configs that keep Home Assistant's rules (checked as
tests/unit/test_home_assistant.py states them), states that follow a failed self-test within
seconds, entity names in the site's language, removal of a retired device's entities, and each
server's availability, with `availability_mode: any` across several servers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from aedmon.reading import DeviceKind, TestResult

from .. import factories
from ..conftest import Mosquitto, Publisher, ServerProcess, Tokens, start_server, wait_until
from ..unit.test_home_assistant import check
from .conftest import send

CONFIG = "homeassistant/{component}/aedmon/{device}_{key}/config"


class Retained:
    """What Home Assistant would read: the newest message on each topic, as it came."""

    def __init__(self, broker: Mosquitto) -> None:
        self.topics: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="home-assistant")
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", broker.port)
        self.client.subscribe([("homeassistant/#", 1), ("aedmon/ha/#", 1)])
        self.client.loop_start()

    def _on_message(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.topics[message.topic] = bytes(message.payload)

    def json(self, topic: str) -> Any:
        with self._lock:
            body = self.topics.get(topic)
        return json.loads(body) if body else None

    def configs(self, device: str) -> dict[str, dict[str, Any]]:
        with self._lock:
            found = dict(self.topics)
        return {
            topic: json.loads(body)
            for topic, body in found.items()
            if topic.startswith("homeassistant/") and f"/aedmon/{device}_" in topic and body
        }

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def retained(mosquitto: Mosquitto) -> Iterator[Retained]:
    listener = Retained(mosquitto)
    yield listener
    listener.close()


def ha_server(
    tmp_path: Path, tokens: Tokens, database: str, broker: Mosquitto, server_id: str, **more: str
) -> ServerProcess:
    env = {
        "AEDMON_HOME_ASSISTANT": broker.url,
        "AEDMON_HOME_ASSISTANT_INTERVAL_S": "1",
        "AEDMON_HOME_ASSISTANT_SERVER_ID": server_id,
        **more,
    }
    return start_server(tmp_path, tokens, database, env)


@pytest.mark.parametrize("server_database", ["sqlite", "postgresql"], indirect=True)
def test_home_assistant_sees_readiness_in_the_sites_words_and_loses_a_retired_device(
    tmp_path: Path, tokens: Tokens, server_database: str, mosquitto: Mosquitto, retained: Retained
) -> None:
    server = ha_server(tmp_path, tokens, server_database, mosquitto, "srv-a")
    try:
        with server.client("admin") as admin:
            admin.post(
                "/api/v1/devices", json=factories.device("SN1", name="Reception AED")
            ).raise_for_status()
            cabinet = factories.device("CAB-1", kind=DeviceKind.CABINET, name="Street cabinet")
            admin.post("/api/v1/devices", json=cabinet).raise_for_status()
        send(server, 1, TestResult.PASS, "SN1", pads_expiry=date(2027, 3, 31))
        readiness = CONFIG.format(component="sensor", device="SN1", key="readiness")
        problem_state = "aedmon/ha/SN1/state"
        wait_until(lambda: retained.json(readiness) is not None, timeout=20, what="the discovery configs")
        wait_until(
            lambda: (retained.json(problem_state) or {}).get("problem") == "OFF", timeout=20, what="ready"
        )
        for device in ("SN1", "CAB-1"):
            made = retained.configs(device)
            assert made
            for topic, config in made.items():
                check(topic, config)
                assert config["availability"] == [{"topic": "aedmon/ha/status/srv-a"}]
        assert CONFIG.format(component="binary_sensor", device="CAB-1", key="door") in retained.configs(
            "CAB-1"
        )
        assert retained.json(problem_state)["pads_expiry"] == "2027-03-31"
        assert retained.topics["aedmon/ha/status/srv-a"] == b"online"

        # the site's language names the entities and says the readiness
        with server.client("admin") as admin:
            admin.patch(f"/api/v1/sites/{factories.SITE}", json={"language": "bg"}).raise_for_status()
        wait_until(
            lambda: retained.json(readiness)["name"] == "Готовност", timeout=20, what="names in Bulgarian"
        )
        assert retained.json(problem_state)["readiness_text"] in retained.json(readiness)["options"]

        # a failed self-test: problem on within seconds (the change feed, not the next pass)
        send(server, 2, TestResult.FAIL, "SN1", codes=("P02",))
        wait_until(lambda: retained.json(problem_state)["problem"] == "ON", timeout=10, what="problem on")
        assert retained.json(problem_state)["readiness"] == "not_ready"
        assert any("електрод" in reason.lower() for reason in retained.json(problem_state)["reasons"])

        # retired: every entity removed (an empty retained config), the state emptied
        with server.client("admin") as admin:
            admin.delete("/api/v1/devices/SN1").raise_for_status()
        # the configs go first and the state after them, each its own message: wait for both
        wait_until(
            lambda: not retained.configs("SN1") and retained.topics.get(problem_state) == b"",
            timeout=20,
            what="the retired device's entities removed and its state emptied",
        )
        assert retained.configs("CAB-1")
    finally:
        server.process.stop()
    wait_until(
        lambda: retained.topics.get("aedmon/ha/status/srv-a") == b"offline", timeout=10, what="offline"
    )
    output = server.process.output()
    assert "Traceback" not in output


@pytest.mark.parametrize("server_database", ["postgresql"], indirect=True)
def test_each_server_is_one_availability_and_any_of_them_keeps_the_entities_available(
    tmp_path: Path, tokens: Tokens, server_database: str, mosquitto: Mosquitto, retained: Retained
) -> None:
    first = ha_server(tmp_path, tokens, server_database, mosquitto, "srv-a")
    second = ha_server(tmp_path, tokens, server_database, mosquitto, "srv-b")
    try:
        with first.client("admin") as admin:
            admin.post("/api/v1/devices", json=factories.device("SN7", name="Gym AED")).raise_for_status()
        topic = CONFIG.format(component="binary_sensor", device="SN7", key="problem")
        both = [{"topic": "aedmon/ha/status/srv-a"}, {"topic": "aedmon/ha/status/srv-b"}]
        wait_until(
            lambda: (retained.json(topic) or {}).get("availability") == both,
            timeout=30,
            what="both servers listed",
        )
        assert retained.json(topic)["availability_mode"] == "any"
        second.process.stop()
        wait_until(
            lambda: retained.topics.get("aedmon/ha/status/srv-b") == b"offline",
            timeout=10,
            what="srv-b offline",
        )
        assert retained.topics["aedmon/ha/status/srv-a"] == b"online"  # any: the entities stay available
        alone = [{"topic": "aedmon/ha/status/srv-a"}]
        wait_until(lambda: retained.json(topic)["availability"] == alone, timeout=20, what="srv-b left out")
    finally:
        first.process.stop()
        second.process.stop()


def test_junk_on_the_status_and_config_topics_changes_nothing_it_should_not(
    tmp_path: Path, tokens: Tokens, server_database: str, mosquitto: Mosquitto, retained: Retained
) -> None:
    junk = Publisher(mosquitto, client_id="junk")
    junk.send("aedmon/ha/status/" + "x" * 300, b"online", retain=True)  # not a server's name
    junk.send("aedmon/ha/status/bad name", b"online", retain=True)
    junk.send("aedmon/ha/status/srv-z", b"\xff" * 5000, retain=True)  # neither online nor offline
    for n in range(40):  # more servers than a config lists
        junk.send(f"aedmon/ha/status/flood-{n:02d}", b"offline", retain=True)
    ghost = CONFIG.format(component="sensor", device="GHOST-1", key="readiness")
    junk.send(ghost, b'{"name": "left by an earlier run"}', retain=True)
    server = ha_server(tmp_path, tokens, server_database, mosquitto, "srv-a")
    try:
        with server.client("admin") as admin:
            admin.post("/api/v1/devices", json=factories.device("SN9")).raise_for_status()
        topic = CONFIG.format(component="sensor", device="SN9", key="readiness")
        wait_until(lambda: retained.json(topic) is not None, timeout=20, what="the config")
        listed = [item["topic"] for item in retained.json(topic)["availability"]]
        assert listed == ["aedmon/ha/status/srv-a"]  # no junk, and no server that is not online
        for n in range(20):  # servers online beyond what a config lists: this one stays listed
            junk.send(f"aedmon/ha/status/online-{n:02d}", b"online", retain=True)

        def capped() -> bool:
            listed = [item["topic"] for item in retained.json(topic)["availability"]]
            return len(listed) == 16 and "aedmon/ha/status/srv-a" in listed

        wait_until(capped, timeout=20, what="the list capped, this server in it")
        check(topic, retained.json(topic))
        wait_until(
            lambda: retained.topics.get(ghost) == b"", timeout=20, what="the unknown device's entity removed"
        )
    finally:
        server.process.stop()
        junk.close()


@pytest.mark.parametrize("server_database", ["sqlite", "postgresql"], indirect=True)
def test_only_the_sites_and_areas_asked_for_reach_home_assistant(
    tmp_path: Path, tokens: Tokens, server_database: str, mosquitto: Mosquitto, retained: Retained
) -> None:
    server = ha_server(
        tmp_path, tokens, server_database, mosquitto, "srv-a",
        AEDMON_HOME_ASSISTANT_SITES="school-7", AEDMON_HOME_ASSISTANT_AREAS="pernik",
    )  # fmt: skip
    try:
        with server.client("admin") as admin:
            placed = (
                ("SN1", "school-7", None),
                ("SN2", "pernik-hall", "pernik"),
                ("SN3", "sofia-hall", "sofia"),
                ("SN4", "town-hall", None),
            )
            for device, site, area in placed:
                body = factories.device(device, site=site, **({"area": area} if area else {}))
                admin.post("/api/v1/devices", json=body).raise_for_status()
        wait_until(
            lambda: retained.configs("SN1") and retained.configs("SN2"), timeout=20, what="SN1 and SN2"
        )
        wait_until(lambda: retained.json("aedmon/ha/SN2/state") is not None, timeout=20, what="SN2's state")
        assert not retained.configs("SN3")
        assert not retained.configs("SN4")
        # a device moved out of the scope has its entities removed
        with server.client("admin") as admin:
            admin.patch("/api/v1/devices/SN1", json={"site": "sofia-hall"}).raise_for_status()
        wait_until(lambda: not retained.configs("SN1"), timeout=20, what="SN1's entities removed")
    finally:
        server.process.stop()
