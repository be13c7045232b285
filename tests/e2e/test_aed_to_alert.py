"""Whole processes: simulated devices → `aedmon bridge` → `aedmon server` → alerts."""

from __future__ import annotations

from aedmon.clock import utc_now
from simulators.aed import AedSimulator
from simulators.mqtt_devices import Cabinet, Place

from ..conftest import BridgeStarter, Mosquitto, ServerProcess, wait_until


def open_alert_types(server: ServerProcess, device: str) -> set[str]:
    alerts = server.get("/api/v1/alerts", state="open", device_id=device)
    return {a["type"] for a in alerts}  # type: ignore[attr-defined, index]


def test_failed_selftest_on_a_pty_opens_alerts_and_the_next_pass_resolves_them(
    server: ServerProcess,
    aed: AedSimulator,
    start_bridge: BridgeStarter,
) -> None:
    bridge = start_bridge("--site", "town-hall", "--serial", str(aed.link), "--heartbeat-interval-s", "1")
    wait_until(lambda: server.get("/api/v1/devices"), timeout=30, what="the AED to register")
    assert open_alert_types(server, "SN10442") == set()

    aed.trigger("pads-expired")
    wait_until(
        lambda: open_alert_types(server, "SN10442") == {"self_test_failed", "pads_expired"},
        timeout=20,
        what="self_test_failed and pads_expired",
    )
    device = server.get("/api/v1/devices/SN10442")
    assert device["readiness"] == "not_ready"  # type: ignore[index]
    assert device["confirmed"] is False  # type: ignore[index]

    aed.trigger("recover")
    wait_until(lambda: open_alert_types(server, "SN10442") == set(), timeout=20, what="alerts to resolve")
    resolved = server.get("/api/v1/alerts", state="resolved", device_id="SN10442")
    assert {a["type"] for a in resolved} == {"self_test_failed", "pads_expired"}  # type: ignore[attr-defined, index]
    assert server.get("/api/v1/devices/SN10442")["readiness"] == "ready"  # type: ignore[index]
    assert "reading stored" in bridge.output()
    heard = server.get("/api/v1/devices/bridge-town-hall")
    assert heard["kind"] == "bridge"  # type: ignore[index]
    beats = server.get("/api/v1/devices/bridge-town-hall/readings", type="heartbeat")
    assert beats[0]["extra"]["sink_lag_server"] >= 0  # type: ignore[index]
    assert server.get("/api/v1/devices/SN10442/readings", limit=1)[0]["bridge"] == "bridge-town-hall"  # type: ignore[index]


def test_cabinet_moved_outside_its_geofence_opens_relocated_through_mosquitto(
    server: ServerProcess,
    mosquitto: Mosquitto,
    start_bridge: BridgeStarter,
) -> None:
    with server.client("admin") as admin:
        admin.post(
            "/api/v1/devices",
            json={
                "id": "CAB-0007",
                "site": "pernik-street",
                "kind": "cabinet",
                "lat": 42.6062,
                "lon": 23.0379,
                "geofence_m": 50,
            },
        ).raise_for_status()
    bridge = start_bridge("--site", "pernik-street", "--mqtt", mosquitto.url)
    wait_until(lambda: "broker connected" in bridge.output(), timeout=20, what="the bridge's subscription")
    cabinet = Cabinet(
        mosquitto.url, "pernik-street", "CAB-0007", utc_now, place=Place(42.6062, 23.0379), interval_s=0.5
    ).start()
    try:
        wait_until(
            lambda: server.get("/api/v1/devices/CAB-0007/readings", type="location"),
            timeout=20,
            what="the cabinet's fixed location",
        )
        assert open_alert_types(server, "CAB-0007") == set()
        cabinet.on_fault("move", 0)
        wait_until(
            lambda: open_alert_types(server, "CAB-0007") == {"relocated"}, timeout=20, what="relocated"
        )
    finally:
        cabinet.close()
    alert = server.get("/api/v1/alerts", state="open", device_id="CAB-0007")[0]  # type: ignore[index]
    assert "from its place (allowed 50 m)" in alert["message"]
