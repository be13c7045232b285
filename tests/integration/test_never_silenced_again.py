"""Never silenced, round two, through the real ingest path on SQLite and PostgreSQL: another
site's bridge key, a reading that shares its seq and time with a different one, a clock that
stepped back at a silent reboot, and a cosmetic field that cannot be kept must none of them
keep a FAIL from opening its alert."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
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


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW)


@pytest.fixture
def api(database_url: str, tokens: Tokens, clock: MovableClock) -> Iterator[TestClient]:
    settings = ServerSettings(database_url=database_url, tokens=tokens.setting)
    with TestClient(create_app(settings, clock, background=False)) as client:
        yield client


def send(api: TestClient, key: str, *readings: Any) -> dict[str, Any]:
    body = [reading if isinstance(reading, dict) else factories.as_json(reading) for reading in readings]
    answer = api.post("/api/v1/ingest", json={"readings": body}, headers=bearer(key))
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def open_types(api: TestClient, tokens: Tokens, device: str) -> set[str]:
    alerts = api.get("/api/v1/alerts", params={"device_id": device}, headers=bearer(tokens.admin)).json()
    return {alert["type"] for alert in alerts if alert["state"] != "resolved"}


def site_key(api: TestClient, tokens: Tokens, *sites: str) -> str:
    made = api.post(
        "/api/v1/keys",
        json={"name": f"bridge of {'+'.join(sites)}", "role": "bridge", "sites": list(sites)},
        headers=bearer(tokens.admin),
    )
    assert made.status_code == 201, made.text
    key: str = made.json()["key"]
    return key


@pytest.fixture
def two_sites(api: TestClient, tokens: Tokens) -> dict[str, str]:
    """site-a's AED SNA1 with its self-test failed; a bridge key for each site, and one for both."""
    for device, site in (("SNA1", "site-a"), ("SNB1", "site-b")):
        made = api.post(
            "/api/v1/devices", json=factories.device(device, site=site), headers=bearer(tokens.admin)
        )
        assert made.status_code == 201, made.text
    keys = {
        "a": site_key(api, tokens, "site-a"),
        "b": site_key(api, tokens, "site-b"),
        "both": site_key(api, tokens, "site-a", "site-b"),
    }
    failed = factories.selftest(TestResult.FAIL, device="SNA1", site="site-a", at=NOW, seq=7, codes=("C02",))
    assert send(api, keys["a"], failed)["accepted"] == 1
    assert "self_test_failed" in open_types(api, tokens, "SNA1")
    return keys


@pytest.mark.parametrize("claimed", ["site-b", "site-a"])
def test_another_sites_key_cannot_speak_for_a_device_whatever_site_the_reading_claims(
    api: TestClient, tokens: Tokens, two_sites: dict[str, str], claimed: str
) -> None:
    passed = factories.selftest(
        TestResult.PASS, device="SNA1", site=claimed, at=NOW + timedelta(minutes=1), seq=8
    )
    answer = send(api, two_sites["b"], passed)
    assert answer["accepted"] == 0
    assert answer["results"][0]["status"] == "rejected"
    assert "outside the sites of this key" in answer["results"][0]["reason"]
    if claimed == "site-b":  # where the device is registered is not the other site's to learn
        assert "site-a" not in answer["results"][0]["reason"]
    assert "self_test_failed" in open_types(api, tokens, "SNA1")  # still heard
    device = api.get("/api/v1/devices/SNA1", headers=bearer(tokens.admin)).json()
    assert device["site"] == "site-a"  # and never moved


def test_a_key_of_both_sites_is_heard_and_a_moved_device_is_judged_as_relocated(
    api: TestClient, tokens: Tokens, two_sites: dict[str, str]
) -> None:
    heard_at_b = factories.selftest(
        TestResult.PASS, device="SNA1", site="site-b", at=NOW + timedelta(minutes=1), seq=8
    )
    assert send(api, two_sites["both"], heard_at_b)["accepted"] == 1
    assert "self_test_failed" not in open_types(api, tokens, "SNA1")
    device = api.get("/api/v1/devices/SNA1", headers=bearer(tokens.admin)).json()
    assert device["site"] == "site-a"  # auto-registration and ingest never move a device


def test_an_unknown_device_is_registered_at_the_claimed_site_only_within_the_keys_sites(
    api: TestClient, tokens: Tokens, two_sites: dict[str, str]
) -> None:
    stranger = factories.selftest(TestResult.FAIL, device="SNX9", site="site-a", at=NOW, seq=1)
    assert send(api, two_sites["b"], stranger)["results"][0]["status"] == "rejected"
    assert api.get("/api/v1/devices/SNX9", headers=bearer(tokens.admin)).status_code == 404
    assert send(api, two_sites["a"], stranger)["accepted"] == 1
    assert "self_test_failed" in open_types(api, tokens, "SNX9")


def test_a_fail_sharing_seq_and_time_with_a_pass_before_a_reboot_is_stored_and_heard(
    api: TestClient, tokens: Tokens
) -> None:
    """An AED whose clock resets to 2000-01-01 and whose counter restarts at each power-up."""
    reset = datetime(2000, 1, 1, 0, 0, 5, tzinfo=UTC)
    identity = factories.reading(factories.ReadingType.IDENTITY, device="SNR1", at=NOW, seq=None, model="X")
    passed = factories.selftest(TestResult.PASS, device="SNR1", at=reset, arrived=NOW, seq=1)
    later = NOW + timedelta(hours=1)
    identity_again = identity.model_copy(update={"device_time": later, "arrival_time": later})
    failed = factories.selftest(
        TestResult.FAIL, device="SNR1", at=reset, arrived=later, seq=1, codes=("P02",)
    )
    assert send(api, tokens.bridge, identity, passed)["accepted"] == 2
    assert send(api, tokens.bridge, passed)["duplicates"] == 1  # a true resend is still a duplicate
    answer = send(api, tokens.bridge, identity_again, failed)
    assert [r["status"] for r in answer["results"]] == ["stored", "stored"]
    assert "self_test_failed" in open_types(api, tokens, "SNR1")
    assert send(api, tokens.bridge, failed)["duplicates"] == 1


@pytest.mark.parametrize("ahead", [timedelta(seconds=250), timedelta(hours=2)])
def test_a_clock_stepped_back_at_a_silent_reboot_does_not_hide_a_fail(
    api: TestClient, tokens: Tokens, clock: MovableClock, ahead: timedelta
) -> None:
    """The device's clock ran ahead (inside the tolerance, so believed, or beyond it); it
    rebooted without a word and sends FAIL seq 0, 1, 2 at the true time: each is heard."""
    for seq in range(100, 105):
        moment = NOW + timedelta(minutes=seq - 105)
        send(api, tokens.bridge, factories.selftest(TestResult.PASS, device="SNS1", at=moment + ahead,
                                                    arrived=moment, seq=seq))  # fmt: skip
    assert open_types(api, tokens, "SNS1") <= {"clock_fault"}
    for seq in (0, 1, 2):
        moment = NOW + timedelta(seconds=10 * (seq + 1))
        clock.now = moment
        failed = factories.selftest(
            TestResult.FAIL, device="SNS1", at=moment, arrived=moment, seq=seq, codes=("C01",)
        )
        assert send(api, tokens.bridge, failed)["accepted"] == 1
        assert "self_test_failed" in open_types(api, tokens, "SNS1"), f"FAIL seq {seq} not heard"
    readiness = api.get("/api/v1/devices/SNS1", headers=bearer(tokens.admin)).json()["readiness"]
    assert readiness != "ready"


def test_a_new_boot_is_a_power_up_and_a_late_reading_of_the_same_boot_is_only_history(
    api: TestClient, tokens: Tokens, clock: MovableClock
) -> None:
    first = factories.selftest(TestResult.PASS, device="SNB7", at=NOW, seq=500, boot="a1")
    failed = factories.selftest(TestResult.FAIL, device="SNB7", at=NOW + timedelta(seconds=20), seq=502,
                                boot="a1", codes=("C02",))  # fmt: skip
    late = factories.selftest(TestResult.PASS, device="SNB7", at=NOW + timedelta(seconds=10), seq=501,
                              boot="a1", arrived=NOW + timedelta(seconds=30))  # fmt: skip
    clock.now = NOW + timedelta(seconds=30)
    send(api, tokens.bridge, first, failed, late)
    assert "self_test_failed" in open_types(api, tokens, "SNB7")  # the late PASS did not hide it
    rebooted = factories.selftest(TestResult.FAIL, device="SNB7", at=NOW, seq=0, boot="b2", codes=("C01",),
                                  arrived=NOW + timedelta(minutes=1))  # fmt: skip
    clock.now = NOW + timedelta(minutes=1)
    assert send(api, tokens.bridge, rebooted)["accepted"] == 1
    alert = api.get("/api/v1/alerts", params={"device_id": "SNB7"}, headers=bearer(tokens.admin)).json()
    failed_alert = next(a for a in alert if a["type"] == "self_test_failed" and a["state"] != "resolved")
    assert "C01" in str(failed_alert)  # the new power-up's FAIL is the one told


@pytest.mark.parametrize(
    "cosmetic",
    [
        {"deep": {"a": {"b": {"c": {"d": {"e": 1}}}}}},
        {f"k{i}": i for i in range(80)},
        {"long": "x" * 5000},
        {"ctl": "bell\x07"},
        {"big": 2**70},
    ],
    ids=["too-deep", "too-many", "too-long", "control", "huge-int"],
)
def test_a_cosmetic_field_that_cannot_be_kept_never_costs_the_fail(
    api: TestClient, tokens: Tokens, cosmetic: dict[str, Any]
) -> None:
    failed = factories.as_json(factories.selftest(TestResult.FAIL, device="SNC1", at=NOW, codes=("C02",)))
    failed["extra"] = cosmetic
    answer = send(api, tokens.bridge, failed)
    assert answer["accepted"] == 1, answer
    assert "self_test_failed" in open_types(api, tokens, "SNC1")


def test_site_ids_are_one_site_whatever_their_case_at_every_edge(api: TestClient, tokens: Tokens) -> None:
    made = api.post("/api/v1/devices", json=factories.device("SNK1", site="Kmetstvo-Pernik"),
                    headers=bearer(tokens.admin))  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["site"] == "kmetstvo-pernik"
    site = api.get("/api/v1/sites/KMETSTVO-PERNIK", headers=bearer(tokens.admin))
    assert site.status_code == 200
    assert site.json()["id"] == "kmetstvo-pernik"
    key = site_key(api, tokens, "Kmetstvo-PERNIK")  # a key given the site in another case
    failed = factories.selftest(
        TestResult.FAIL, device="SNK1", site="KMETSTVO-pernik", at=NOW, codes=("C02",)
    )
    assert send(api, key, failed)["accepted"] == 1  # the same site: in its scope
    assert "self_test_failed" in open_types(api, tokens, "SNK1")
    stranger = factories.selftest(TestResult.FAIL, device="SNK2", site="KMETSTVO-PERNIK", at=NOW)
    assert send(api, key, stranger)["accepted"] == 1  # registered at the one site, not a second
    sites = api.get("/api/v1/sites", params={"q": "kmetstvo"}, headers=bearer(tokens.admin)).json()
    assert [s["id"] for s in sites] == ["kmetstvo-pernik"]
    listed = api.get(
        "/api/v1/alerts", params={"site": "Kmetstvo-Pernik"}, headers=bearer(tokens.admin)
    ).json()
    assert {a["device_id"] for a in listed} == {"SNK1", "SNK2"}
