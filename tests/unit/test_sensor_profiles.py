"""Each shipped sensor profile on its vendor codec's own documented examples.

The decoded payloads below are the `examples:` of each device's `*-codec.yaml` in
TheThingsNetwork's lorawan-devices repository (Apache-2.0): facts (field names and documented
values), quoted with their file. `milesight-iot/em300-mcs-codec.yaml` lists no examples; its
case is the repository's decoder's output shape (`em300-mcs.js`: battery, temperature,
humidity, magnet) and Milesight's newer `magnet_status`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aedmon.profiles import ProfileMismatch, Profiles, parse, parse_file

PROFILES = Profiles.load()

# (profile, codec file, example description, decoded `output.data`, the fields aedmon reads)
EXAMPLES: list[tuple[str, str, str, dict[str, Any], dict[str, Any]]] = [
    ("milesight-iot/ws301", "ws301-codec.yaml", "Magnetic Contact Switch (example 1)",
     {"door": "open"}, {"door_open": True}),
    ("milesight-iot/ws301", "ws301-codec.yaml", "Magnetic Contact Switch (example 2)",
     {"install": "no"}, {"tamper": True}),
    ("milesight-iot/em300-th", "em300-th-codec.yaml", "Example with battery, temperature, and humidity",
     {"battery": 50, "temperature": 20.0, "humidity": 30.0},
     {"sensor_battery_pct": 50, "temp_c": 20.0, "humidity_pct": 30.0}),
    ("milesight-iot/em300-mcs", "em300-mcs.js (no codec examples)", "decoder output",
     {"battery": 98, "temperature": 27.2, "humidity": 46.5, "magnet": 1},
     {"sensor_battery_pct": 98, "temp_c": 27.2, "humidity_pct": 46.5, "door_open": True}),
    ("milesight-iot/em300-mcs", "Milesight's newer decoder", "magnet_status",
     {"battery": 98, "magnet_status": "close"}, {"sensor_battery_pct": 98, "door_open": False}),
    ("dragino/lds02", "lds02-codec.yaml", "Distance Detection",
     {"ALARM": 0, "BAT_V": 2.952, "DOOR_OPEN_STATUS": 0, "DOOR_OPEN_TIMES": 9472,
      "LAST_DOOR_OPEN_DURATION": 65536, "MOD": 1},
     {"door_open": False, "sensor_battery_pct": 90}),
    ("browan/tbdw100", "tbdw100-codec.yaml", "Door closed",
     {"battery": 3.6, "count": 14986, "status": 0, "temperatureBoard": 21, "time": 0},
     {"door_open": False, "sensor_battery_pct": 100, "temp_c": 21.0}),
    ("netvox/r311a", "r311a-codec.yaml", "Status report",
     {"Device": "R311A", "Volt": 3, "OnOff": 1},
     {"door_open": True, "sensor_battery_pct": 100, "sensor_battery_low": False}),
    ("netvox/r311a", "r311a-codec.yaml", "Status report (low battery)",
     {"Device": "R311A", "Volt": "2.3(low battery)", "OnOff": 1},
     {"door_open": True, "sensor_battery_pct": 0, "sensor_battery_low": True}),
    ("netvox/r311a", "r311a-codec.yaml", "Startup version report",
     {"Device": "R311A", "SWver": 10, "HWver": 11, "Datecode": "20200424"}, {}),
    ("netvox/r311a", "r311a-codec.yaml", "Read configure report response",
     {"Cmd": "ReadConfigReportRsp", "Device": "R311A", "MinTime": 900, "MaxTime": 1800, "BatteryChange": 0.1},
     {}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "codec", "description", "decoded", "expected"), EXAMPLES)
def test_each_shipped_profile_reads_its_codecs_examples(
    name: str, codec: str, description: str, decoded: dict[str, Any], expected: dict[str, Any]
) -> None:
    profile = PROFILES.find(name)
    assert profile is not None
    assert profile.name == name
    fields, rest = profile.read(decoded)
    assert fields == expected
    assert set(rest) == set(decoded) - {k for rule in profile.fields.values() for k in rule.keys}


def test_the_six_sensors_are_shipped_and_found_by_their_other_names() -> None:
    shipped = {profile.name for profile in PROFILES.by_name.values()}
    assert shipped == {
        "milesight-iot/ws301", "milesight-iot/em300-th", "milesight-iot/em300-mcs",
        "dragino/lds02", "browan/tbdw100", "netvox/r311a",
    }  # fmt: skip
    assert PROFILES.find("Dragino LDS02") is PROFILES.find("dragino/lds02")
    assert PROFILES.find("lds02") is PROFILES.find("DRAGINO/LDS02")
    assert PROFILES.find(None, "", "nothing-like-it", "WS301") is PROFILES.find("milesight-iot/ws301")
    assert PROFILES.find("nothing-like-it") is None


@pytest.mark.parametrize(
    ("name", "decoded", "key"),
    [
        ("milesight-iot/ws301", {"door": "ajar"}, "door"),
        ("milesight-iot/ws301", {"door": None, "battery": "full"}, "battery"),
        ("milesight-iot/ws301", {"battery": 250}, "battery"),
        ("dragino/lds02", {"DOOR_OPEN_STATUS": 2}, "DOOR_OPEN_STATUS"),
        ("dragino/lds02", {"BAT_V": [2.9]}, "BAT_V"),
        ("milesight-iot/em300-th", {"temperature": 900.0}, "temperature"),
        ("milesight-iot/em300-th", {"temperature": True}, "temperature"),
        ("milesight-iot/em300-th", {"humidity": {"value": 3}}, "humidity"),
        ("netvox/r311a", {"Volt": "low battery"}, "Volt"),
        ("browan/tbdw100", {"status": "open"}, "status"),
    ],
)
def test_a_value_a_profile_cannot_read_names_its_key(name: str, decoded: dict[str, Any], key: str) -> None:
    profile = PROFILES.find(name)
    assert profile is not None
    with pytest.raises(ProfileMismatch) as refused:
        profile.read(decoded)
    assert refused.value.key == key
    assert repr(key) in str(refused.value)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("name = 'a/b'\n[fields.door_open]\nkeys=['d']\nmap={x=true}\nunknown=1", "unknown"),
        ("name = 'not a name'\n[fields.door_open]\nkeys=['d']", "name"),
        ("name = 'a/b'\n[fields.pads_expiry]\nkeys=['d']", "fields.pads_expiry"),
        ("name = 'a/b'\n[fields.sensor_battery_pct]\nkeys=['v']\ncurve=[[3.0, 100], [2.5, 0]]", "curve"),
        ("name = 'a/b'\n[fields.sensor_battery_pct]\nkeys=['v']\ncurve=[[2.5, 0]]", "curve"),
        ("name = 'a/b'\n[fields.tamper]\nkeys=['v']\ncurve=[[2.5, 0], [3, 100]]", "curve"),
        ("name = 'a/b'\n[fields.temp_c]\nkeys=['v']\ntext_flag='low'", "text_flag"),
        ("name = 'a/b'\n[fields.temp_c]\nkeys=[]", "keys"),
        ("name = 'a/b'\nfields = {}", "fields"),
        ("name = 'a/b'\n[fields.temp_c\nkeys=['v']", "not TOML"),
        ("name = 'a/b'\nreport_interval_s = 5\n[fields.temp_c]\nkeys=['v']", "report_interval_s"),
    ],
)
def test_a_profile_file_that_cannot_work_is_refused_saying_where(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse(text)


def test_an_admins_profiles_are_added_and_win_over_shipped_ones(tmp_path: Path) -> None:
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "door.toml").write_text(
        "name = 'acme/door'\naliases = ['ACME Door']\n[fields.door_open]\nkeys = ['opened']\ninvert = true\n"
    )
    (tmp_path / "lds02.toml").write_text(
        "name = 'dragino/lds02'\n[fields.door_open]\nkeys = ['DOOR_OPEN_STATUS']\n"
        "map = { '1' = false, '0' = true }\n"
    )
    profiles = Profiles.load(tmp_path)
    acme = profiles.find("ACME Door")
    assert acme is not None
    assert acme.read({"opened": True}) == ({"door_open": False}, {})
    lds = profiles.find("dragino/lds02")
    assert lds is not None
    assert lds.read({"DOOR_OPEN_STATUS": 1})[0] == {"door_open": False}
    (tmp_path / "broken.toml").write_text("name = ")
    with pytest.raises(ValueError, match="broken.toml"):
        Profiles.load(tmp_path)
    with pytest.raises(ValueError, match="not a directory"):
        Profiles.load(tmp_path / "missing")


def test_an_oversized_profile_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_text("name = 'a/b'\n# " + "x" * 70_000 + "\n[fields.temp_c]\nkeys=['t']\n")
    with pytest.raises(ValueError, match="larger than"):
        parse_file(path)
