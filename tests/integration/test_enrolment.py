"""Enrolling a fleet from a spreadsheet or an OpenStreetMap export, on SQLite and PostgreSQL:
a preview of each row's outcome, then the rows applied; idempotent; retiring devices; the
audit of who changed what; and hostile files that get a clear error, never a crash."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aedmon.clock import MovableClock
from aedmon.reading import TestResult
from server.app import create_app
from server.settings import ServerSettings

from .. import factories
from ..conftest import Tokens

NOW = factories.T0 + timedelta(minutes=5)
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = (ROOT / "docs" / "devices-sample.csv").read_bytes()
OSM = ROOT / "tests" / "data" / "osm"
HEADER = "id,site,area,kind,name,lat,lon,public\n"


@pytest.fixture
def api(database_url: str, tokens: Tokens) -> Iterator[TestClient]:
    settings = ServerSettings(database_url=database_url, tokens=tokens.setting)
    with TestClient(create_app(settings, MovableClock(NOW), background=False)) as client:
        client.headers["Authorization"] = f"Bearer {tokens.admin}"
        yield client


def send_csv(api: TestClient, body: bytes | str, dry_run: bool, **headers: str) -> Any:
    data = body.encode() if isinstance(body, str) else body
    answer = api.post(
        "/api/v1/devices/import",
        params={"dry_run": str(dry_run).lower()},
        content=data,
        headers={"Content-Type": "text/csv", **headers},
    )
    return answer


def outcomes(answer: Any) -> list[tuple[str | None, str]]:
    assert answer.status_code == 200, answer.text
    return [(row["id"], row["outcome"]) for row in answer.json()["rows"]]


def devices(api: TestClient, **params: Any) -> dict[str, dict[str, Any]]:
    return {d["id"]: d for d in api.get("/api/v1/devices", params=params).json()}


def open_alerts(api: TestClient) -> list[dict[str, Any]]:
    return [a for a in api.get("/api/v1/alerts").json() if a["state"] != "resolved"]


def test_the_sample_spreadsheet_is_previewed_then_applied_then_unchanged(api: TestClient) -> None:
    preview = send_csv(api, SAMPLE, dry_run=True)
    assert outcomes(preview) == [(i, "create") for i in ("SN20001", "SN20002", "SN20003", "MC-0007")]
    assert preview.json()["counts"] == {"create": 4, "update": 0, "unchanged": 0, "error": 0}
    assert devices(api) == {}, "a preview changes nothing"

    applied = send_csv(api, SAMPLE, dry_run=False)
    assert [outcome for _, outcome in outcomes(applied)] == ["create"] * 4
    fleet = devices(api)
    school = fleet["SN20001"]
    assert (school["site"], school["area"], school["name"]) == (
        "school-1",
        "sofia",
        "School No. 1, main hall",
    )
    assert (school["lat"], school["lon"], school["geofence_m"]) == (42.6977, 23.3219, 50)
    assert (school["public"], school["access"], school["indoor"], school["level"]) == (True, "yes", True, "0")
    assert school["opening_hours"] == "Mo-Fr 07:00-19:00"
    assert school["confirmed"]
    assert fleet["SN20002"]["public"] is False
    assert fleet["SN20002"]["opening_hours"] is None
    assert fleet["MC-0007"]["kind"] == "cabinet"
    assert fleet["MC-0007"]["lat"] is None

    feed = {f["id"]: f["properties"] for f in api.get("/api/v1/public/aeds.geojson").json()["features"]}
    assert sorted(feed) == ["SN20001", "SN20003"]  # the public ones with a place on the map
    assert (feed["SN20001"]["level"], feed["SN20001"]["opening_hours"]) == ("0", "Mo-Fr 07:00-19:00")

    again = send_csv(api, SAMPLE, dry_run=False)
    assert [outcome for _, outcome in outcomes(again)] == ["unchanged"] * 4

    moved = SAMPLE.replace(b"42.6977,23.3219,50", b"42.6978,23.3219,75")
    update = send_csv(api, moved, dry_run=True)
    assert outcomes(update)[0] == ("SN20001", "update")
    assert update.json()["rows"][0]["changes"] == ["geofence_m", "lat"]
    assert devices(api)["SN20001"]["lat"] == 42.6977
    send_csv(api, moved, dry_run=False)
    assert devices(api)["SN20001"]["geofence_m"] == 75


def test_a_spreadsheet_saved_by_excel_in_bulgarian_reads_the_same(api: TestClient) -> None:
    """A byte-order mark, semicolons, decimal commas, capitalised headings, CRLF lines."""
    text = (
        "\ufeffID;Site;Kind;Name;Lat;Lon;Public\r\nSN1;sofia-1;aed;Читалище „Светлина“;42,6977;23,3219;Да\r\n"
    )
    answer = send_csv(api, text.encode(), dry_run=True)
    assert answer.json()["rows"][0]["error"] == "public: say yes or no"
    answer = send_csv(api, text.replace("Да", "yes").encode(), dry_run=False)
    assert outcomes(answer) == [("SN1", "create")]
    device = devices(api)["SN1"]
    assert (device["name"], device["lat"], device["lon"]) == ("Читалище „Светлина“", 42.6977, 23.3219)


def test_empty_cells_leave_a_device_as_it_is_and_a_row_confirms_and_returns_a_device(
    api: TestClient, tokens: Tokens
) -> None:
    send_csv(api, HEADER + "SN1,s1,,aed,Hall,42.1,23.1,yes\n", dry_run=False)
    assert outcomes(send_csv(api, "id,site,kind,name\nSN1,s1,aed,\n", dry_run=True)) == [("SN1", "unchanged")]
    # A device heard before it was registered is confirmed by the spreadsheet.
    heard = factories.as_json(factories.selftest(TestResult.PASS, device="SN9", site="s1", at=NOW))
    bridge = {"Authorization": f"Bearer {tokens.bridge}"}
    api.post("/api/v1/ingest", json={"readings": [heard]}, headers=bridge).raise_for_status()
    assert devices(api)["SN9"]["confirmed"] is False
    answer = send_csv(api, "id,site,kind\nSN9,s1,aed\n", dry_run=False)
    assert answer.json()["rows"][0]["changes"] == ["confirmed"]
    assert devices(api)["SN9"]["confirmed"] is True
    # A retired device listed again is back in service.
    assert api.delete("/api/v1/devices/SN1").json()["retired_at"] is not None
    assert "SN1" not in devices(api)
    answer = send_csv(api, "id,site,kind\nSN1,s1,aed\n", dry_run=False)
    assert answer.json()["rows"][0]["changes"] == ["retired"]
    assert devices(api)["SN1"]["retired_at"] is None


def test_retiring_a_device_resolves_its_alerts_and_keeps_its_history(api: TestClient, tokens: Tokens) -> None:
    api.post("/api/v1/devices", json=factories.device("SN1", site="s1")).raise_for_status()
    failed = factories.as_json(factories.selftest(TestResult.FAIL, device="SN1", site="s1", at=NOW))
    bridge = {"Authorization": f"Bearer {tokens.bridge}"}
    api.post("/api/v1/ingest", json={"readings": [failed]}, headers=bridge).raise_for_status()
    assert [a["type"] for a in open_alerts(api)] == ["self_test_failed"]

    retired = api.delete("/api/v1/devices/SN1")
    assert retired.status_code == 200
    assert retired.json()["retired_at"] is not None
    assert open_alerts(api) == []
    assert devices(api) == {}
    assert list(devices(api, retired="true")) == ["SN1"]
    assert api.get("/api/v1/devices/SN1/readings").json()[0]["result"] == "FAIL"
    record = api.get("/api/v1/reports/compliance", params={"from": str(NOW.date()), "to": str(NOW.date())})
    assert [row["entry"]["device_id"] for row in record.json()] == ["SN1"]  # its record stays
    # Readings that still arrive are kept but raise nothing.
    api.post("/api/v1/ingest", json={"readings": [failed]}, headers=bridge).raise_for_status()
    assert open_alerts(api) == []

    back = api.patch("/api/v1/devices/SN1", json={"retired": False})
    assert back.json()["retired_at"] is None
    assert [a["type"] for a in open_alerts(api)] == ["self_test_failed"]
    history = api.get("/api/v1/audit", params={"device": "SN1"}).json()
    assert [(e["action"], e["actor"]) for e in history] == [
        ("changed", "admin"),
        ("retired", "admin"),
        ("created", "admin"),
    ]


HOSTILE_FILES = {
    "not UTF-8": ("id,site,kind\nSN1,s1,aed\n".encode("utf-16"), "not UTF-8 text"),
    "cp1251": ("id,site,kind,name\nSN1,s1,aed,Училище\n".encode("cp1251"), "not UTF-8 text"),
    "empty": (b"", "the file is empty"),
    "blank header": (b"\n\n", "missing columns: id, site, kind"),
    "unknown column": (b"id,site,kind," + b"x" * 5000 + b"\n", "unknown columns 'xxxxxxxxxx"),
    "column twice": (b"id,site,kind,id\n", "columns given twice: id"),
    "missing column": (b"id,name\nSN1,Hall\n", "missing columns: site, kind"),
    "huge cell": (b'id,site,kind,name\nSN1,s1,aed,"' + b"x" * 200_000 + b'"\n', "cannot be read as CSV"),
    "open quote": (b'id,site,kind\nSN1,"s1,aed\n', "line 2 cannot be read as CSV"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_FILES))
def test_a_file_that_cannot_be_read_gets_a_clear_error_and_changes_nothing(
    api: TestClient, case: str
) -> None:
    body, said = HOSTILE_FILES[case]
    for dry_run in (True, False):
        answer = send_csv(api, body, dry_run=dry_run)
        assert answer.status_code == 400, answer.text
        assert said in answer.json()["detail"]
        assert len(answer.text) < 1000, "an error does not echo the file"
    assert devices(api, retired="true") == {}


HOSTILE_ROWS = [
    ("SN1,s1,,toaster,Hall,,,", "kind"),
    ("SN 2,s1,,aed,Hall,,,", "id"),
    ("SN3,s1,,aed,Hall,nan,23,", "lat"),
    ("SN4,s1,,aed,Hall,inf,23,", "lat"),
    ("SN5,s1,,aed,Hall,1e400,23,", "lat"),
    ("SN6,s1,,aed,Hall,91,23,", "lat"),
    ("SN7,s1,,aed,Hall,42,-180.5,", "lon"),
    ("SN8,s1,,aed," + "x" * 201 + ",,,", "name"),
    ("SN9,s1,,aed,Hall\x1b[31m,,,", "name"),
    ("SN10,s1,,aed,Hall,,,maybe", "public: say yes or no"),
    ("SN11,s/1,,aed,Hall,,,", "site"),
    ("SN12,s1,a b,aed,Hall,,,", "area"),
    ("SN13,s1,,aed,Hall,,,,extra", "9 cells but 8 columns"),
    ("SN14,s1,,aed,Hall,4\u0662,23,", "lat"),
    ("SN15,s1,,aed,Ha\x00ll,,,", "name"),
    ("SN16,s\x001,,aed,Hall,,,", "site"),
    ("x" * 65 + ",s1,,aed,Hall,,,", "id"),
]


def test_bad_rows_are_errors_with_why_and_the_good_rows_still_go_in(api: TestClient) -> None:
    body = HEADER + "\n".join(row for row, _ in HOSTILE_ROWS) + "\nGOOD1,s1,,aed,Hall,42.1,23.1,no\n"
    body += "GOOD1,s1,,aed,Hall twice,42.1,23.1,no\n"
    answer = send_csv(api, body, dry_run=False)
    rows = answer.json()["rows"]
    for (_, why), row in zip(HOSTILE_ROWS, rows, strict=False):
        assert row["outcome"] == "error", row
        assert why in row["error"], row
        assert len(row["error"]) <= 300
    assert rows[-2]["outcome"] == "create"
    assert rows[-1] == {
        "row": len(HOSTILE_ROWS) + 3,
        "id": "GOOD1",
        "ref": None,
        "outcome": "error",
        "changes": [],
        "error": f"the same device as row {len(HOSTILE_ROWS) + 2}",
    }
    assert answer.json()["counts"] == {
        "create": 1,
        "update": 0,
        "unchanged": 0,
        "error": len(HOSTILE_ROWS) + 1,
    }
    assert list(devices(api)) == ["GOOD1"]


def test_too_many_rows_are_refused_whole(api: TestClient) -> None:
    body = "id,site,kind\n" + "".join(f"D{i},s1,aed\n" for i in range(20_001))
    answer = send_csv(api, body, dry_run=False)
    assert answer.status_code == 413
    assert "at most 20000 rows" in answer.json()["detail"]
    assert devices(api) == {}


def test_an_area_admin_imports_only_into_its_area(api: TestClient) -> None:
    api.post(
        "/api/v1/devices", json=factories.device("SN-B", site="sofia-1", area="sofia")
    ).raise_for_status()
    made = api.post("/api/v1/keys", json={"name": "Pernik admin", "role": "admin", "areas": ["pernik"]})
    pernik = {"Authorization": f"Bearer {made.json()['key']}"}
    body = (
        "id,site,area,kind\n"
        "P1,pernik-1,pernik,aed\n"  # a new site of its area
        "P2,pernik-1,,aed\n"  # the same new site, later in the file
        "P3,sofia-1,,aed\n"  # another area's site
        "P4,sofia-2,sofia,aed\n"  # a new site in an area it does not hold
        "P5,lonely,,aed\n"  # a new site of no area
        "SN-B,pernik-1,,aed\n"  # another area's device
    )
    preview = send_csv(api, body, dry_run=True, **pernik)
    expected = [("P1", "create"), ("P2", "create")] + [(i, "error") for i in ("P3", "P4", "P5", "SN-B")]
    assert outcomes(preview) == expected
    errors = {row["id"]: row["error"] for row in preview.json()["rows"] if row["error"]}
    assert set(errors.values()) == {"no such site or area within your scope", "this id cannot be used"}
    assert outcomes(send_csv(api, body, dry_run=False, **pernik)) == expected
    fleet = devices(api)
    assert sorted(fleet) == ["P1", "P2", "SN-B"]
    assert fleet["SN-B"]["site"] == "sofia-1"
    assert fleet["P2"]["area"] == "pernik"


def test_people_without_the_admin_role_cannot_import(api: TestClient, tokens: Tokens) -> None:
    for role in ("technician", "staff", "viewer", "bridge"):
        bearer = {"Authorization": f"Bearer {getattr(tokens, role)}"}
        assert send_csv(api, SAMPLE, dry_run=True, **bearer).status_code == 403
        export = json.loads((OSM / "defibrillators.overpass.json").read_text())
        osm = api.post("/api/v1/devices/import-osm", params={"site": "s1"}, json=export, headers=bearer)
        assert osm.status_code == 403
    assert devices(api) == {}


def send_osm(api: TestClient, export: object, dry_run: bool, site: str = "sofia-osm", **params: str) -> Any:
    return api.post(
        "/api/v1/devices/import-osm",
        params={"dry_run": str(dry_run).lower(), "site": site, **params},
        content=json.dumps(export),
        headers={"Content-Type": "application/json"},
    )


def test_defibrillators_mapped_in_openstreetmap_come_in_unconfirmed(api: TestClient) -> None:
    export = json.loads((OSM / "defibrillators.overpass.json").read_text())
    preview = send_osm(api, export, dry_run=True, area="sofia")
    rows = preview.json()["rows"]
    assert [(r["ref"], r["outcome"]) for r in rows] == [
        ("node/4711238861", "create"),
        ("node/9912773401", "create"),
        ("way/312004551", "create"),
        ("node/2203991150", "error"),
        ("way/87000112", "error"),
    ]
    assert rows[3]["error"] == "not tagged emergency=defibrillator"
    assert "out center" in rows[4]["error"]
    assert devices(api) == {}

    send_osm(api, export, dry_run=False, area="sofia").raise_for_status()
    fleet = devices(api)
    town_hall = fleet["osm-node-4711238861"]
    assert town_hall["name"] == "АВД Община Средец"
    assert not town_hall["confirmed"]
    assert town_hall["place"] == "Във фоайето, вляво от входа; Кутия с аларма"
    assert (town_hall["lat"], town_hall["lon"], town_hall["site"], town_hall["area"]) == (
        42.6975135,
        23.3241451,
        "sofia-osm",
        "sofia",
    )
    assert (town_hall["indoor"], town_hall["level"], town_hall["opening_hours"]) == (
        True,
        "0",
        "Mo-Fr 08:00-18:00",
    )
    assert (town_hall["access"], town_hall["public"], town_hall["osm_ref"]) == (
        "yes",
        True,
        "node/4711238861",
    )
    assert town_hall["readiness"] == "unknown"  # never heard: mapped, not yet connected
    street = fleet["osm-node-9912773401"]
    assert (street["indoor"], street["access"], street["public"]) == (False, None, False)
    hall = fleet["osm-way-312004551"]
    assert (hall["lat"], hall["level"], hall["access"]) == (42.6931288, "1;2", "customers")

    # The admin confirms one and moves it; OpenStreetMap's changes come in, the admin's stay.
    api.patch(
        "/api/v1/devices/osm-way-312004551", json={"confirmed": True, "site": "slavia"}
    ).raise_for_status()
    export["elements"][2]["tags"]["name"] = "Sports hall Slavia (renamed)"
    again = send_osm(api, export, dry_run=False)
    assert [r["outcome"] for r in again.json()["rows"][:3]] == ["unchanged", "unchanged", "update"]
    assert again.json()["rows"][2]["changes"] == ["name"]
    hall = devices(api)["osm-way-312004551"]
    assert (hall["name"], hall["site"], hall["confirmed"]) == ("Sports hall Slavia (renamed)", "slavia", True)


def test_a_geojson_export_gives_the_same_devices(api: TestClient) -> None:
    export = json.loads((OSM / "defibrillators.geojson").read_text())
    answer = send_osm(api, export, dry_run=False)
    assert [(r["id"], r["outcome"]) for r in answer.json()["rows"]] == [
        ("osm-node-4711238861", "create"),
        ("osm-way-312004551", "create"),
        (None, "error"),
    ]
    hall = devices(api)["osm-way-312004551"]
    assert (round(hall["lat"], 4), round(hall["lon"], 4)) == (42.6931, 23.3345)
    overpass = json.loads((OSM / "defibrillators.overpass.json").read_text())
    assert [r["outcome"] for r in send_osm(api, overpass, dry_run=True).json()["rows"][:3]] == [
        "unchanged",
        "create",
        "update",  # the polygon's middle is not Overpass's centre
    ]


def defib(**element: Any) -> dict[str, Any]:
    return {
        "type": "node",
        "id": 1,
        "lat": 42.0,
        "lon": 23.0,
        "tags": {"emergency": "defibrillator"},
        **element,
    }


HOSTILE_ELEMENTS = [
    ("not an object", "no OpenStreetMap reference"),
    (defib(type="changeset"), "no OpenStreetMap reference"),
    (defib(id=-5), "no OpenStreetMap reference"),
    (defib(id=True), "no OpenStreetMap reference"),
    (defib(id=10**30), "no OpenStreetMap reference"),
    (defib(id=2, tags="emergency=defibrillator"), "not tagged emergency=defibrillator"),
    (defib(id=3, lat="42.0"), "no position"),
    (defib(id=4, lat=True), "no position"),
    (defib(id=5, lat=1e308 * 10), "lat"),
    (defib(id=6, lat=95.0), "lat"),
    (defib(id=7, center=[1, 2], type="way"), "no position"),
    (defib(id=8, tags={"emergency": "defibrillator", "name": "x" * 300}), "name"),
    (defib(id=9, tags={"emergency": "defibrillator", "level": "9" * 40}), "level"),
    (defib(id=10, tags={"emergency": "defibrillator", "name": "AED\u202e"}), "name"),
    (defib(id=11), None),
    (defib(id=11), "the same device as row 15"),
]


def test_hostile_openstreetmap_exports_get_errors_row_by_row(api: TestClient) -> None:
    export = {"elements": [element for element, _ in HOSTILE_ELEMENTS]}
    answer = send_osm(api, export, dry_run=False)
    assert answer.status_code == 200, answer.text
    for (_, why), row in zip(HOSTILE_ELEMENTS, answer.json()["rows"], strict=True):
        if why is None:
            assert row["outcome"] == "create"
        else:
            assert row["outcome"] == "error", row
            assert why in row["error"], row
    assert list(devices(api)) == ["osm-node-11"]
    for body, status in (
        ([1, 2], 422),
        ({"type": "Feature"}, 400),
        ({"elements": "many"}, 400),
        ({"type": "FeatureCollection", "features": [None, {"geometry": {"type": "Point"}}]}, 200),
    ):
        assert send_osm(api, body, dry_run=False).status_code == status
    nested = api.post(
        "/api/v1/devices/import-osm",
        params={"site": "s1"},
        content="[" * 100_000 + "]" * 100_000,
        headers={"Content-Type": "application/json"},
    )
    assert nested.status_code in (400, 422)
    assert send_osm(api, {"elements": []}, dry_run=False, site="no/site").status_code == 422
    assert list(devices(api)) == ["osm-node-11"]


def test_a_spreadsheets_profile_column_chooses_each_sensors_profile(api: TestClient) -> None:
    body = (
        "id,site,kind,name,profile\n"
        "24e124136b316541,street,cabinet,Station cabinet,milesight-iot/em300-mcs\n"
        "a81758fffe0a1b2c,street,cabinet,Library cabinet,\n"
        "a81758fffe0a1b2d,street,cabinet,Bad profile,Dragino LDS02\n"
        "a81758fffe0a1b2e,street,cabinet,Worse profile,../../etc/passwd\n"
    )
    answer = send_csv(api, body, dry_run=False)
    assert outcomes(answer) == [
        ("24e124136b316541", "create"),
        ("a81758fffe0a1b2c", "create"),
        ("a81758fffe0a1b2d", "error"),
        ("a81758fffe0a1b2e", "error"),
    ]
    assert all("profile" in row["error"] for row in answer.json()["rows"][2:])
    found = devices(api)
    assert found["24e124136b316541"]["profile"] == "milesight-iot/em300-mcs"
    assert found["a81758fffe0a1b2c"]["profile"] is None
    again = send_csv(
        api, "id,site,kind,profile\n24e124136b316541,street,cabinet,dragino/lds02\n", dry_run=False
    )
    assert outcomes(again) == [("24e124136b316541", "update")]
    assert devices(api)["24e124136b316541"]["profile"] == "dragino/lds02"
