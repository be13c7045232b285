"""Pages update by push, on SQLite and PostgreSQL against a real server process: the event
stream carries verdict and alert changes of the reader's sites only, as they happen; without
a key it is refused; and the lists a page polls when its stream is cut answer 304 while
nothing changed."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
import pytest

from aedmon.reading import TestResult

from .. import factories
from ..conftest import ServerProcess

Heard = list[tuple[str, dict[str, Any]]]


def listen(server: ServerProcess, key: str, into: Heard, stop: threading.Event) -> None:
    """Read the stream's events into `into` until `stop`."""
    headers = {"Authorization": f"Bearer {key}"}
    try:
        with httpx.stream("GET", f"{server.url}/api/v1/events", headers=headers, timeout=None) as answer:
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("text/event-stream")
            kind = ""
            for line in answer.iter_lines():
                if stop.is_set():
                    return
                if line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    into.append((kind, json.loads(line.removeprefix("data: "))))
    except httpx.RemoteProtocolError:
        if not stop.is_set():  # the server ending the stream as it stops, after the test
            raise


@pytest.mark.parametrize("server_database", ["sqlite", "postgresql"], indirect=True)
def test_the_stream_tells_a_reader_of_its_own_sites_changes_only(server: ServerProcess) -> None:
    with server.client("admin") as admin:
        for device, site, area in (("SN-A", "pernik-school", "pernik"), ("SN-B", "sofia-school", "sofia")):
            body = factories.device(device, site=site, area=area)
            admin.post("/api/v1/devices", json=body).raise_for_status()
        key = admin.post("/api/v1/keys", json={"name": "pernik board", "role": "viewer", "areas": ["pernik"]})
    heard: Heard = []
    stop = threading.Event()
    listener = threading.Thread(target=listen, args=(server, key.json()["key"], heard, stop), daemon=True)
    listener.start()
    time.sleep(1.0)  # connected, and the server's reader of the feed started
    now = factories.T0.replace(year=2026)
    failed = {"at": now, "codes": ("C02",)}
    readings = [
        factories.as_json(factories.selftest(TestResult.FAIL, device=device, site=site, **failed))
        for device, site in (("SN-A", "pernik-school"), ("SN-B", "sofia-school"))
    ]
    with server.client("bridge") as bridge:
        bridge.post("/api/v1/ingest", json={"readings": readings}).raise_for_status()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not {"verdict", "alert"} <= {kind for kind, _ in heard}:
        time.sleep(0.1)
    time.sleep(1.0)  # anything of the other area would have come by now
    stop.set()
    assert ("verdict", {"device_id": "SN-A", "site": "pernik-school", "readiness": "not_ready"}) in heard
    assert any(kind == "alert" and body["device_id"] == "SN-A" and body["type"] == "self_test_failed"
               for kind, body in heard)  # fmt: skip
    assert all(body["device_id"] == "SN-A" for _, body in heard), heard
    # what happened before the stream was asked for is history, not news: SN-A's registration
    registered = ("verdict", {"device_id": "SN-A", "site": "pernik-school", "readiness": "unknown"})
    assert registered not in heard


def test_the_stream_needs_a_key(server: ServerProcess) -> None:
    assert httpx.get(f"{server.url}/api/v1/events", timeout=5).status_code == 401
    bad = httpx.get(f"{server.url}/api/v1/events", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert bad.status_code == 401


def test_a_polled_list_answers_304_while_nothing_changed(server: ServerProcess) -> None:
    with server.client("admin") as admin:
        admin.post("/api/v1/devices", json=factories.device("SN1")).raise_for_status()
    tags = {}
    with server.client() as viewer:
        for path in ("/api/v1/devices", "/api/v1/sites"):
            tag = tags[path] = viewer.get(path).headers["etag"]
            again = viewer.get(path, headers={"If-None-Match": tag})
            assert again.status_code == 304
            assert again.content == b""
            assert viewer.get(path, headers={"If-None-Match": 'W/"other"'}).status_code == 200
        with server.client("admin") as admin:
            admin.patch("/api/v1/devices/SN1", json={"name": "Renamed"}).raise_for_status()
        changed = viewer.get("/api/v1/devices", headers={"If-None-Match": tags["/api/v1/devices"]})
        assert changed.status_code == 200
        assert changed.json()[0]["name"] == "Renamed"


def stream_until_closed(server: ServerProcess, client: httpx.Client, ended: threading.Event) -> None:
    """Hold the stream open until the server ends it."""
    try:
        with client.stream("GET", f"{server.url}/api/v1/events", timeout=None) as answer:
            assert answer.status_code == 200
            for _ in answer.iter_lines():
                pass
    except httpx.HTTPError:
        pass
    ended.set()


@pytest.mark.parametrize("server_database", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.parametrize("who", ["key revoked", "person disabled", "person's sites changed", "signed out"])
def test_a_change_of_access_ends_open_streams_at_once(server: ServerProcess, who: str) -> None:
    with server.client("admin") as admin:
        admin.post("/api/v1/devices", json=factories.device("SN-A", site="pernik-school")).raise_for_status()
        if who == "key revoked":
            made = admin.post(
                "/api/v1/keys", json={"name": "board", "role": "viewer", "sites": ["pernik-school"]}
            )
            reader = httpx.Client(
                base_url=server.url, headers={"Authorization": f"Bearer {made.json()['key']}"}
            )
        else:
            body = {
                "email": "caretaker@school.bg",
                "name": "Caretaker",
                "role": "staff",
                "sites": ["pernik-school"],
            }
            invited = admin.post("/api/v1/users", json=body).json()
            reader = httpx.Client(base_url=server.url)
            reader.post(
                "/api/v1/auth/invite",
                json={"token": invited["invite_token"], "password": "a long password 1"},
            )
            signed = reader.post(
                "/api/v1/auth/login", json={"email": body["email"], "password": "a long password 1"}
            )
            assert signed.status_code == 200, signed.text
        ended = threading.Event()
        threading.Thread(target=stream_until_closed, args=(server, reader, ended), daemon=True).start()
        assert not ended.wait(1.5)  # open, and staying open
        if who == "key revoked":
            admin.delete(f"/api/v1/keys/{made.json()['id']}").raise_for_status()
        elif who == "person disabled":
            admin.delete(f"/api/v1/users/{invited['id']}").raise_for_status()
        elif who == "person's sites changed":
            admin.patch(f"/api/v1/users/{invited['id']}", json={"sites": ["sofia-school"]}).raise_for_status()
        else:
            csrf = signed.json()["csrf_token"]
            reader.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).raise_for_status()
        assert ended.wait(5), f"the stream stayed open after: {who}"
        reader.close()
