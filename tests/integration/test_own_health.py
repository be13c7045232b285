"""aedmon's own health, for Prometheus: the alert rules pass `promtool check rules` and their
own `promtool test rules`, and every metric they read is one the server or a bridge serves,
with the server's clock of its last evaluation and of each bridge's last heartbeat."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

import firmware_bridge.metrics  # noqa: F401  (registers the bridge's metrics beside the server's)
from aedmon.clock import MovableClock
from aedmon.reading import DeviceKind
from server.app import create_app
from server.settings import ServerSettings

from .. import factories
from ..conftest import Tokens
from .test_notifications import auth

RULES = Path(__file__).resolve().parents[2] / "scripts" / "install" / "prometheus"
T0 = factories.T0


@pytest.fixture
def api(database_url: str, tokens: Tokens) -> Iterator[TestClient]:
    settings = ServerSettings(database_url=database_url, tokens=tokens.setting)
    with TestClient(create_app(settings, MovableClock(T0), background=False)) as client:
        yield client


def test_the_rules_are_valid_and_their_own_tests_pass() -> None:
    checked = subprocess.run(["promtool", "check", "rules", "aedmon-rules.yml"], cwd=RULES,
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 8 rules found" in checked.stdout
    tested = subprocess.run(["promtool", "test", "rules", "aedmon-rules.test.yml"], cwd=RULES,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_metric_the_rules_read_is_served(api: TestClient, tokens: Tokens) -> None:
    beat = factories.heartbeat(device="bridge-town-hall", kind=DeviceKind.BRIDGE, at=T0)
    body = {"readings": [factories.as_json(beat)]}
    stored = api.post("/api/v1/ingest", json=body, headers=auth(tokens.bridge))
    assert stored.status_code == 200, stored.text
    assert (
        'aedmon_server_bridge_heard_timestamp_seconds{bridge="bridge-town-hall"}' in api.get("/metrics/").text
    )
    # the server's and the bridge's metrics, each family by its name (a counter without its _total)
    families = {family.name for family in REGISTRY.collect()}
    read = set(re.findall(r"\baedmon_[a-z_]+", (RULES / "aedmon-rules.yml").read_text()))
    assert len(read) == 6
    for name in sorted(read):
        assert name.removesuffix("_total") in families, name
