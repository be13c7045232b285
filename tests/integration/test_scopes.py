"""People and places, keys first: a key of one area neither sees nor changes anything of
another, through every route of the OpenAPI, on SQLite and PostgreSQL. What is outside a key's
sites answers 404 (its existence is not revealed), lists leave it out, a bridge key's reading
of another site is rejected and counted, and an admin of an area grants no more than it holds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aedmon.clock import MovableClock
from aedmon.reading import DeviceKind, TestResult
from server.app import create_app
from server.settings import ServerSettings

from .. import factories
from ..conftest import Tokens

NOW = factories.T0 + timedelta(minutes=5)
ROLES = ("viewer", "staff", "technician", "admin", "bridge")
# A body each changing route takes, so that it is refused for what it names, not for its form.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/api/v1/devices/{device_id}"): {"name": "taken over"},
    ("POST", "/api/v1/devices/{device_id}/inspections"): {
        "inspector": "Mallory", "status_light_ok": True, "pads_sealed_in_date": True, "cabinet_intact": True,
    },
    ("POST", "/api/v1/devices/{device_id}/shift-checks"): {"inspector": "Mallory", "answers": {}},
    ("POST", "/api/v1/devices/{device_id}/communities"): {"name": "Mallory's", "lat": 42.6, "lon": 23.2},
    ("POST", "/api/v1/alerts/{alert_id}/ack"): {"note": "not mine"},
    ("PUT", "/api/v1/contacts/{contact_id}"): {"name": "x", "sites": ["pernik-school"], "mqtt": True},
    ("PATCH", "/api/v1/sites/{site_id}"): {"time_zone": "UTC"},
    ("PATCH", "/api/v1/users/{user_id}"): {"name": "taken over"},
}  # fmt: skip


@dataclass
class Places:
    """What each area holds, by the id a route names it with."""

    ids: dict[str, dict[str, str]]  # area → path parameter → id
    keys: dict[str, dict[str, str]]  # area → role → key


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def api(database_url: str, tokens: Tokens) -> Iterator[TestClient]:
    settings = ServerSettings(database_url=database_url, tokens=tokens.setting)
    with TestClient(create_app(settings, MovableClock(NOW), background=False)) as client:
        yield client


@pytest.fixture
def places(api: TestClient, tokens: Tokens) -> Places:
    """Two areas, a school each, an AED with a failed self-test, a contact, a maintenance window,
    an inspection, and a key of each role for each area."""
    admin = bearer(tokens.admin)
    ids: dict[str, dict[str, str]] = {}
    keys: dict[str, dict[str, str]] = {}
    for area, site, device in (("pernik", "pernik-school", "SN-A"), ("sofia", "sofia-school", "SN-B")):
        made = api.post("/api/v1/devices", json=factories.device(device, site=site, area=area), headers=admin)
        assert made.status_code == 201, made.text
        caretaker = {"name": f"{site} caretaker", "sites": [site], "mqtt": True}
        contact = api.post("/api/v1/contacts", json=caretaker, headers=admin).json()  # before: it is told
        failed = factories.as_json(factories.selftest(TestResult.FAIL, device=device, site=site, at=NOW))
        api.post(
            "/api/v1/ingest", json={"readings": [failed]}, headers=bearer(tokens.bridge)
        ).raise_for_status()
        alert = api.get("/api/v1/alerts", params={"device_id": device}, headers=admin).json()[0]
        ends = (NOW + timedelta(days=1)).isoformat()
        silence = api.post("/api/v1/silences", json={"site": site, "reason": "repainting", "ends_at": ends},
                           headers=admin).json()  # fmt: skip
        check = BODIES[("POST", "/api/v1/devices/{device_id}/inspections")]
        api.post(f"/api/v1/devices/{device}/inspections", json=check, headers=admin).raise_for_status()
        unit = factories.device(f"MU-{device}", site=site, area=area, kind=DeviceKind.MOBILE_UNIT)
        api.post("/api/v1/devices", json=unit, headers=admin).raise_for_status()
        village = {"name": f"{area} village", "lat": 42.6, "lon": 23.2}
        community = api.post(f"/api/v1/devices/MU-{device}/communities", json=village, headers=admin).json()
        keys[area] = {}
        for role in ROLES:
            key = api.post("/api/v1/keys", json={"name": f"{area} {role}", "role": role, "areas": [area]},
                           headers=admin)  # fmt: skip
            assert key.status_code == 201, key.text
            keys[area][role] = key.json()["key"]
        key_id = api.get("/api/v1/keys", headers=bearer(keys[area]["admin"])).json()[0]["id"]
        caretaker = {"email": f"caretaker@{site}.bg", "name": "Caretaker", "role": "staff", "sites": [site]}
        user_id = api.post("/api/v1/users", json=caretaker, headers=admin).json()["id"]
        ids[area] = {"device_id": device, "alert_id": str(alert["id"]), "contact_id": str(contact["id"]),
                     "silence_id": str(silence["id"]), "site_id": site, "key_id": str(key_id),
                     "user_id": str(user_id), "community_id": str(community["id"]),
                     "unit_id": f"MU-{device}"}  # fmt: skip
    return Places(ids, keys)


def state_of(api: TestClient, tokens: Tokens, area_ids: dict[str, str]) -> Any:
    """Everything a route of another area could have changed, as the installation's admin sees it."""
    admin = bearer(tokens.admin)
    device = area_ids["device_id"]
    return (
        api.get(f"/api/v1/devices/{device}", headers=admin).json(),
        api.get("/api/v1/alerts", params={"device_id": device}, headers=admin).json(),
        api.get(f"/api/v1/alerts/{area_ids['alert_id']}/history", headers=admin).json(),
        api.get("/api/v1/contacts", params={"removed": True}, headers=admin).json(),
        api.get("/api/v1/silences", headers=admin).json(),
        api.get(f"/api/v1/devices/{device}/inspections", headers=admin).json(),
        api.get(f"/api/v1/sites/{area_ids['site_id']}", headers=admin).json(),
        [k for k in api.get("/api/v1/keys", headers=admin).json() if k["id"] == int(area_ids["key_id"])],
        [u for u in api.get("/api/v1/users", headers=admin).json() if u["id"] == int(area_ids["user_id"])],
        api.get(f"/api/v1/devices/{area_ids['unit_id']}/communities", headers=admin).json(),
    )


def test_no_route_lets_one_areas_key_read_or_change_anothers(
    api: TestClient, tokens: Tokens, places: Places
) -> None:
    before = state_of(api, tokens, places.ids["sofia"])
    tried = 0
    for path, operations in api.app.openapi()["paths"].items():  # type: ignore[attr-defined]
        names = re.findall(r"\{(\w+)\}", path)
        if not names:
            continue  # lists and creation: their own tests below
        if path.startswith("/api/v1/public/"):  # open to anyone, key or none: a key adds nothing to it
            url = path.format(
                **{name: "sofia" if name == "area" else places.ids["sofia"][name] for name in names}
            )
            anyone = api.get(url)
            assert anyone.status_code == 200, url
            for role in ROLES:
                keyed = api.get(url, headers=bearer(places.keys["pernik"][role]))
                assert (keyed.status_code, keyed.content) == (anyone.status_code, anyone.content), url
            continue
        url = path.format(**{name: places.ids["sofia"][name] for name in names})
        for method in operations:
            body = BODIES.get((method.upper(), path))
            for role in ROLES:
                answer = api.request(
                    method.upper(), url, json=body, headers=bearer(places.keys["pernik"][role])
                )
                assert answer.status_code in (403, 404), (
                    f"{role} {method.upper()} {url}: {answer.status_code}"
                )
                tried += 1
    assert tried >= 15 * len(ROLES)  # every route that names a thing, for each role
    assert state_of(api, tokens, places.ids["sofia"]) == before


LISTS = [
    "/api/v1/users", "/api/v1/devices", "/api/v1/alerts", "/api/v1/silences", "/api/v1/contacts?removed=true",
    "/api/v1/notifications", "/api/v1/sites", "/api/v1/keys", "/api/v1/reports/consumables",
    f"/api/v1/reports/compliance?from={NOW.date()}&to={NOW.date()}", "/api/v1/audit",
    "/api/v1/stickers?ids=SN-A,SN-B", "/api/v1/devices?retired=true", "/api/v1/alerts/summary",
    "/api/v1/alerts?order=site", "/api/v1/sites?q=school",
    f"/api/v1/reports/programme?from={NOW.date()}&to={NOW.date()}",
]  # fmt: skip


@pytest.mark.parametrize("path", LISTS)
def test_lists_hold_only_the_keys_own_area(
    api: TestClient, tokens: Tokens, places: Places, path: str
) -> None:
    everything = api.get(path, headers=bearer(tokens.admin)).text
    assert "sofia" in everything or "SN-B" in everything  # the installation's admin sees both areas
    assert "pernik" in everything or "SN-A" in everything
    for role in ROLES:
        answer = api.get(path, headers=bearer(places.keys["pernik"][role]))
        if answer.status_code == 403:
            continue  # a role that may not list this at all
        assert answer.status_code == 200, answer.text
        assert "sofia" not in answer.text, f"{role} of pernik sees sofia at {path}"
        assert "SN-B" not in answer.text
        if path != "/api/v1/keys":  # its own area is there (a key lists only keys it could grant)
            assert "pernik" in answer.text or "SN-A" in answer.text


def test_a_bridge_key_ingests_only_for_its_own_sites(api: TestClient, tokens: Tokens, places: Places) -> None:
    key = bearer(places.keys["pernik"]["bridge"])
    theirs = factories.selftest(device="SN-B", site="sofia-school", seq=7, at=NOW)
    ours = factories.selftest(device="SN-A", site="pernik-school", seq=7, at=NOW)
    body = {"readings": [factories.as_json(theirs), factories.as_json(ours)]}
    answer = api.post("/api/v1/ingest", json=body, headers=key).json()
    assert answer["accepted"] == 1
    assert answer["results"][0]["status"] == "rejected"
    assert "outside the sites of this key" in answer["results"][0]["reason"]
    assert api.get(
        "/api/v1/alerts", params={"device_id": "SN-B", "state": "open"}, headers=bearer(tokens.admin)
    ).json()  # fmt: skip  (its FAIL still stands)
    assert not api.get(
        "/api/v1/alerts", params={"device_id": "SN-A", "state": "open"}, headers=bearer(tokens.admin)
    ).json()  # fmt: skip  (the PASS resolved its own)


def test_an_area_admin_grants_no_more_than_it_holds(api: TestClient, tokens: Tokens, places: Places) -> None:
    admin = bearer(places.keys["pernik"]["admin"])
    for scope in ({}, {"areas": ["sofia"]}, {"areas": ["pernik", "sofia"]}, {"sites": ["sofia-school"]}):
        answer = api.post("/api/v1/keys", json={"name": "more", "role": "viewer", **scope}, headers=admin)
        assert answer.status_code == 403, scope
    made = api.post("/api/v1/keys", json={"name": "caretaker", "role": "staff", "sites": ["pernik-school"]},
                    headers=admin)  # fmt: skip
    assert made.status_code == 201
    assert made.json()["key"].startswith("aedmon_")
    listed = {k["name"] for k in api.get("/api/v1/keys", headers=admin).json()}
    assert "caretaker" in listed
    assert not any(name.startswith("sofia") for name in listed)
    for body in ({"id": "SN-X", "site": "sofia-school", "kind": "aed"},
                 {"id": "SN-X", "site": "new-school", "kind": "aed", "area": "sofia"},
                 {"id": "SN-X", "site": "new-school", "kind": "aed"}):  # fmt: skip
        assert api.post("/api/v1/devices", json=body, headers=admin).status_code == 404, body
    new = {"id": "SN-C", "site": "pernik-kindergarten", "kind": "aed", "area": "pernik"}
    assert api.post("/api/v1/devices", json=new, headers=admin).status_code == 201
    viewer = bearer(places.keys["pernik"]["viewer"])
    assert {d["id"] for d in api.get("/api/v1/devices", headers=viewer).json()} == {"SN-A", "MU-SN-A", "SN-C"}
    moved = api.patch("/api/v1/devices/SN-C", json={"site": "sofia-school"}, headers=admin)
    assert moved.status_code == 404
    silence = {"site": "sofia-school", "reason": "mine now", "ends_at": (NOW + timedelta(days=1)).isoformat()}
    assert api.post("/api/v1/silences", json=silence, headers=admin).status_code == 404
    contact = {"name": "spy", "sites": ["sofia-school"], "mqtt": True}
    assert api.post("/api/v1/contacts", json=contact, headers=admin).status_code == 404
    assert api.post("/api/v1/contacts", json={"name": "all", "mqtt": True}, headers=admin).status_code == 404


def test_a_keys_name_is_the_actor_and_a_revoked_key_opens_nothing(
    api: TestClient, tokens: Tokens, places: Places
) -> None:
    technician = bearer(places.keys["pernik"]["technician"])
    alert_id = places.ids["pernik"]["alert_id"]
    acked = api.post(f"/api/v1/alerts/{alert_id}/ack", json={"note": "on my way"}, headers=technician).json()
    assert acked["acknowledged_by"] == "pernik technician"
    history = api.get(f"/api/v1/alerts/{alert_id}/history", headers=technician).json()
    assert history[-1]["actor"] == "pernik technician"
    keys = api.get("/api/v1/keys", headers=bearer(tokens.admin)).json()
    used = next(k for k in keys if k["name"] == "pernik technician")
    assert used["last_used_at"] is not None
    assert "key_hash" not in used
    assert all(not k["prefix"].startswith(places.keys["pernik"]["technician"]) for k in keys)
    revoked = api.delete(f"/api/v1/keys/{used['id']}", headers=bearer(places.keys["pernik"]["admin"]))
    assert revoked.json()["revoked_at"] is not None
    assert api.get("/api/v1/whoami", headers=technician).status_code == 401
    refused = api.post(f"/api/v1/alerts/{alert_id}/ack", content=b"{}" * 1000, headers=technician)
    assert refused.status_code == 401
    me = api.get("/api/v1/whoami", headers=bearer(places.keys["pernik"]["viewer"])).json()
    assert me == {
        "name": "pernik viewer",
        "role": "viewer",
        "sites": [],
        "areas": ["pernik"],
        "csrf_token": None,
    }


@pytest.mark.parametrize(
    "body",
    [
        {"name": "", "role": "viewer"},
        {"name": "x" * 201, "role": "viewer"},
        {"name": "nul\u0000", "role": "viewer"},
        {"name": "x", "role": "root"},
        {"name": "x", "role": "viewer", "sites": ["../etc"]},
        {"name": "x", "role": "viewer", "areas": ["a" * 65]},
        {"name": "x", "role": "viewer", "sites": [f"s{n}" for n in range(501)]},
        {"name": "x", "role": "viewer", "extra": 1},
    ],
)
def test_a_hostile_key_request_is_refused(api: TestClient, tokens: Tokens, body: dict[str, Any]) -> None:
    assert api.post("/api/v1/keys", json=body, headers=bearer(tokens.admin)).status_code == 422
    for key_id in ("0", "-1", "2147483648", "x"):
        assert api.delete(f"/api/v1/keys/{key_id}", headers=bearer(tokens.admin)).status_code == 422


def test_a_bridge_key_reads_the_chosen_sensor_profiles_of_its_own_sites_only(
    api: TestClient, tokens: Tokens, places: Places
) -> None:
    admin = bearer(tokens.admin)
    for device, profile in (("SN-A", "dragino/lds02"), ("SN-B", "netvox/r311a")):
        changed = api.patch(f"/api/v1/devices/{device}", json={"profile": profile}, headers=admin)
        assert changed.status_code == 200, changed.text
        assert changed.json()["profile"] == profile
    ours = api.get("/api/v1/ingest/profiles", headers=bearer(places.keys["pernik"]["bridge"]))
    assert ours.json() == {"profiles": {"SN-A": "dragino/lds02"}}
    every = api.get("/api/v1/ingest/profiles", headers=bearer(tokens.bridge)).json()["profiles"]
    assert every == {"SN-A": "dragino/lds02", "SN-B": "netvox/r311a"}
    for role in ("viewer", "staff", "technician"):
        assert (
            api.get("/api/v1/ingest/profiles", headers=bearer(places.keys["pernik"][role])).status_code == 403
        )
    api.patch("/api/v1/devices/SN-B", json={"profile": None}, headers=admin).raise_for_status()
    api.delete("/api/v1/devices/SN-A", headers=admin).raise_for_status()  # retired: no longer read
    assert api.get("/api/v1/ingest/profiles", headers=bearer(tokens.bridge)).json() == {"profiles": {}}


@pytest.mark.parametrize(
    "profile",
    ["dragino", "Dragino/LDS02", "dragino/lds02/extra", "../../etc/passwd", "a/" + "b" * 200, "", 3],
)
def test_a_sensor_profile_that_is_no_vendor_model_name_is_refused(
    api: TestClient, tokens: Tokens, places: Places, profile: object
) -> None:
    admin = bearer(tokens.admin)
    assert api.patch("/api/v1/devices/SN-A", json={"profile": profile}, headers=admin).status_code == 422
    made = api.post("/api/v1/devices", json={**factories.device("SN-Z"), "profile": profile}, headers=admin)
    assert made.status_code == 422
    assert api.get("/api/v1/devices/SN-A", headers=admin).json()["profile"] is None


@pytest.mark.parametrize("scope", [{"area": "sofia"}, {"site": "sofia-school"}])
def test_the_programme_report_of_another_area_says_nothing_of_it(
    api: TestClient, tokens: Tokens, places: Places, scope: dict[str, str]
) -> None:
    zone = api.patch(
        "/api/v1/sites/sofia-school", json={"time_zone": "Europe/Sofia"}, headers=bearer(tokens.admin)
    )
    assert zone.status_code == 200, zone.text
    params = {"from": str(NOW.date()), "to": str(NOW.date()), **scope}
    keys = places.keys["pernik"]
    for role in ROLES:
        answer = api.get("/api/v1/reports/programme", params=params, headers=bearer(keys[role]))
        if answer.status_code == 403:
            continue
        said = answer.json()
        assert (said["devices"], said["response"], said["ready_share"]) == ([], {}, None), role
        assert said["time_zone"] == "UTC"  # the installation's, never the other site's own
        assert "SN-B" not in answer.text
