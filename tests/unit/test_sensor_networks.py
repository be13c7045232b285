"""The ChirpStack v4, The Things Stack v3 and Zigbee2MQTT translators: topic and bytes → readings,
or a counted refusal. ChirpStack events are built with chirpstack-api and its protobuf JSON
mapping, as ChirpStack marshals them; The Things Stack's messages follow its documented data
formats (thethingsindustries.com/docs/integrations/data-formats); Zigbee2MQTT's its
documented topics and payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from chirpstack_api import common, integration
from google.protobuf.json_format import MessageToJson

from aedmon.errors import ProtocolError
from aedmon.profiles import Profiles
from aedmon.protocols.lorawan import ChirpStack, ThingsStack
from aedmon.protocols.zigbee2mqtt import Zigbee2Mqtt
from aedmon.reading import DeviceKind, LocationSource, ReadingType

ARRIVAL = datetime(2026, 12, 7, 10, 0, 5, tzinfo=UTC)
EUI = "a84041000181c2d5"
PROFILES = Profiles.load()


def chirpstack_up(**overrides: Any) -> bytes:
    event = integration.UplinkEvent(
        deduplication_id="3c5a2b7e-7c8e-4a55-9c52-3f0d2f7a1b10",
        dev_addr="01fa3b2c",
        f_port=10,
        f_cnt=77,
        dr=5,
    )
    event.time.FromJsonString("2026-12-07T10:00:00.123456789Z")
    event.device_info.dev_eui = EUI
    event.device_info.device_name = "cabinet-main-square"
    event.device_info.device_profile_name = "Dragino LDS02"
    event.device_info.application_name = "aed-cabinets"
    event.rx_info.add(gateway_id="0016c001ff10a235", rssi=-112, snr=-3.5)
    event.rx_info.add(gateway_id="0016c001ff10a236", rssi=-97, snr=6.25)
    event.object.update({"ALARM": 0, "BAT_V": 2.952, "DOOR_OPEN_STATUS": 1, "DOOR_OPEN_TIMES": 12, "MOD": 1})
    for name, value in overrides.items():
        if name == "object":
            event.ClearField("object") if value is None else event.object.update(value)
        elif name == "tags":
            event.device_info.tags.update(value)
        else:
            setattr(event, name, value)
    return MessageToJson(event).encode()


def chirpstack(topic_event: str, payload: bytes, eui: str = EUI) -> list[Any]:
    translation = ChirpStack("town-a", PROFILES).translate(
        f"application/8d1b4a9e/device/{eui}/event/{topic_event}", payload, arrival=ARRIVAL
    )
    return [translation.unread, *translation.readings]


def test_a_chirpstack_uplink_reads_through_the_device_profiles_name() -> None:
    unread, reading = chirpstack("up", chirpstack_up())
    assert unread is None
    assert (reading.device_id, reading.site, reading.source, reading.type) == (
        EUI, "town-a", "chirpstack", ReadingType.STATUS,
    )  # fmt: skip
    assert reading.door_open is True
    assert reading.sensor_battery_pct == 90
    assert reading.kind is DeviceKind.CABINET
    assert reading.device_time == datetime(2026, 12, 7, 10, 0, 0, 123456, tzinfo=UTC)
    assert (reading.seq, reading.boot) == (77, "01fa3b2c")
    assert (reading.rssi_dbm, reading.snr_db) == (-97.0, 6.25)  # the best gateway
    assert reading.extra["sensor_name"] == "cabinet-main-square"
    assert reading.extra["report_interval_s"] == 7200
    assert reading.extra["profile"] == "dragino/lds02"
    assert reading.extra["DOOR_OPEN_TIMES"] == 12


def test_a_chirpstack_tag_chooses_the_profile_before_the_device_profiles_name() -> None:
    payload = chirpstack_up(
        object={"door": "close", "battery": 77}, tags={"aedmon_profile": "milesight-iot/ws301"}
    )
    _, reading = chirpstack("up", payload)
    assert reading.door_open is False
    assert reading.sensor_battery_pct == 77


def test_chirpstacks_defaults_left_out_are_zero_and_no_object_is_undecoded_not_an_error() -> None:
    event = integration.UplinkEvent()
    event.device_info.dev_eui = EUI
    text = MessageToJson(event).encode()
    assert b"fCnt" not in text
    unread, reading = chirpstack("up", text)
    assert unread == "undecoded"
    assert reading.seq == 0
    assert reading.device_time == ARRIVAL
    assert reading.door_open is None
    assert reading.device_id == EUI


def test_a_chirpstack_sensor_without_a_profile_is_heard_with_its_payload_kept() -> None:
    payload = chirpstack_up()
    data = json.loads(payload)
    data["deviceInfo"]["deviceProfileName"] = "Some other thermometer"
    unread, reading = chirpstack("up", json.dumps(data).encode())
    assert unread == "no_profile"
    assert reading.door_open is None
    assert reading.extra["DOOR_OPEN_STATUS"] == 1


def test_chirpstack_status_join_and_location() -> None:
    status = integration.StatusEvent(margin=7, battery_level=14.5, deduplication_id="a")
    status.device_info.dev_eui = EUI.upper()
    unread, reading = chirpstack("status", MessageToJson(status).encode())
    assert reading.sensor_battery_pct == 14
    assert reading.extra["margin_db"] == 7
    unavailable = integration.StatusEvent(battery_level_unavailable=True)
    unavailable.device_info.dev_eui = EUI
    assert chirpstack("status", MessageToJson(unavailable).encode())[1].sensor_battery_pct is None

    join = integration.JoinEvent(dev_addr="00ab12cd", deduplication_id="b")
    join.device_info.dev_eui = EUI
    join.device_info.device_profile_name = "LDS02"
    _, identity = chirpstack("join", MessageToJson(join).encode())
    assert identity.type is ReadingType.IDENTITY
    assert identity.boot == "00ab12cd"
    assert identity.kind is DeviceKind.CABINET
    assert identity.manufacturer == "dragino"

    located = integration.LocationEvent()
    located.device_info.dev_eui = EUI
    located.location.latitude, located.location.longitude = 42.6977, 23.3219
    located.location.source = common.LocationSource.Value("GEO_RESOLVER_GNSS")
    _, fix = chirpstack("location", MessageToJson(located).encode())
    assert (fix.lat, fix.lon, fix.location_source) == (42.6977, 23.3219, LocationSource.GNSS)


def test_a_resent_chirpstack_event_is_the_same_reading_and_another_event_is_another() -> None:
    first = chirpstack("up", chirpstack_up())[1]
    again = chirpstack("up", chirpstack_up())[1]
    other = chirpstack("up", chirpstack_up(deduplication_id="0d5c1e2f-0000-4000-8000-000000000001"))[1]
    assert first.key == again.key
    assert other.key != first.key


def test_chirpstack_events_of_no_readiness_are_unread_and_unknown_ones_refused() -> None:
    for event in ("ack", "txack", "log", "integration"):
        assert chirpstack(event, b"{}") == [event]
    with pytest.raises(ProtocolError) as refused:
        chirpstack("weather", b"{}")
    assert refused.value.reason == "unknown_event"


@pytest.mark.parametrize(
    ("topic_eui", "payload", "reason"),
    [
        ("zz4041000181c2d5", chirpstack_up(), "bad_id"),  # not hex in the topic
        (EUI, b'{"deviceInfo": {"devEui": "a840410001"}}', "bad_id"),  # too short
        (EUI, b'{"deviceInfo": {"devEui": "a84041000181c2d6"}}', "bad_id"),  # not the topic's
        (EUI, chirpstack_up()[:-40], "bad_payload"),  # truncated
        (EUI, b"[1, 2]", "bad_payload"),
        (EUI, b'{"fCnt": NaN}', "bad_payload"),
        (EUI, b'{"fCnt": "77"}', "bad_field"),
        (EUI, b'{"fCnt": -1}', "bad_field"),
        (EUI, b'{"object": [1]}', "bad_payload"),
        (
            EUI,
            b'{"object": {"DOOR_OPEN_STATUS": "yes"}, "deviceInfo": {"deviceProfileName": "LDS02"}}',
            "profile",
        ),
        (EUI, b'{"object": {"x": "' + b"a" * 70_000 + b'"}}', "too_large"),
        (EUI, b"\xff\xfe", "bad_payload"),
    ],
)
def test_hostile_chirpstack_events_are_refused_with_a_reason(
    topic_eui: str, payload: bytes, reason: str
) -> None:
    with pytest.raises(ProtocolError) as refused:
        chirpstack("up", payload, eui=topic_eui)
    assert refused.value.reason == reason


def test_a_profile_refusal_names_the_device_and_the_key() -> None:
    payload = b'{"object": {"DOOR_OPEN_STATUS": "yes"}, "deviceInfo": {"deviceProfileName": "LDS02"}}'
    with pytest.raises(ProtocolError, match=f"device {EUI}.*'DOOR_OPEN_STATUS'"):
        chirpstack("up", payload)


def test_odd_chirpstack_fields_cost_only_themselves() -> None:
    data = json.loads(chirpstack_up())
    data["rxInfo"] = [{"rssi": "strong"}, {"snr": 1e308}, "x", {"rssi": -300}]
    data["time"] = "not a time"
    data["deviceInfo"]["deviceName"] = "x" * 5000
    data["object"].update({f"k{i}": i for i in range(100)})
    reading = chirpstack("up", json.dumps(data).encode())[1]
    assert reading.rssi_dbm is None
    assert reading.snr_db is None
    assert reading.device_time == ARRIVAL
    assert len(reading.extra["sensor_name"]) == 200
    assert reading.door_open is True
    assert "dropped_fields" in reading.extra


# The Things Stack -----------------------------------------------------------------------------


def tts_up(decoded: dict[str, Any] | None, **ids: Any) -> bytes:
    """An uplink as The Things Stack's data formats document it (empty fields left out)."""
    uplink: dict[str, Any] = {
        "session_key_id": "AXBSH1Pk6Z0G166...",
        "f_port": 10,
        "f_cnt": 42,
        "frm_payload": "C4gBACUAAQ==",
        "rx_metadata": [
            {"gateway_ids": {"gateway_id": "gtw1", "eui": "9C5C8E00001A05C4"}, "rssi": -91,
             "channel_rssi": -91,
             "snr": 7.5, "uplink_token": "ChIKEA..."},
        ],
        "settings": {"data_rate": {"lora": {"bandwidth": 125000, "spreading_factor": 7}},
                     "frequency": "868100000"},
        "received_at": "2026-12-07T09:59:58.787451834Z",
        "consumed_airtime": "0.056576s",
        "version_ids": {"brand_id": "dragino", "model_id": "lds02",
                        "hardware_version": "_unknown_hw_version_",
                        "firmware_version": "1.0", "band_id": "EU_863_870"},
        "network_ids": {"net_id": "000013", "tenant_id": "ttn", "cluster_id": "eu1"},
    }  # fmt: skip
    if decoded is not None:
        uplink["decoded_payload"] = decoded
    body = {
        "end_device_ids": {
            "device_id": "eui-a84041000181c2d5",
            "application_ids": {"application_id": "aed-cabinets"},
            "dev_eui": EUI.upper(),
            "join_eui": "A840410000000101",
            "dev_addr": "260B1234",
            **ids,
        },
        "correlation_ids": ["as:up:01HGK7P5Q3G6V2ZQ8J2A1B3C4D", "gs:conn:01HG..."],
        "received_at": "2026-12-07T09:59:59.012345Z",
        "uplink_message": uplink,
    }
    return json.dumps(body).encode()


def tts(event: str, payload: bytes) -> list[Any]:
    translation = ThingsStack("town-a", PROFILES).translate(
        f"v3/aed-cabinets@ttn/devices/eui-a84041000181c2d5/{event}", payload, arrival=ARRIVAL
    )
    return [translation.unread, *translation.readings]


def test_a_things_stack_uplink_reads_through_its_brand_and_model() -> None:
    unread, reading = tts("up", tts_up({"ALARM": 0, "BAT_V": 2.7, "DOOR_OPEN_STATUS": 0}))
    assert unread is None
    assert reading.device_id == EUI
    assert reading.source == "things-stack"
    assert reading.door_open is False
    assert reading.sensor_battery_pct == 30
    assert (reading.seq, reading.boot) == (42, "260b1234")
    assert reading.device_time == datetime(2026, 12, 7, 9, 59, 58, 787451, tzinfo=UTC)
    assert (reading.rssi_dbm, reading.snr_db) == (-91.0, 7.5)
    assert reading.extra["sensor_name"] == "eui-a84041000181c2d5"
    assert reading.extra["uplink_id"] == "as:up:01HGK7P5Q3G6V2ZQ8J2A1B3C4D"


def test_a_sensor_moved_between_network_servers_is_one_device() -> None:
    assert (
        tts("up", tts_up({"DOOR_OPEN_STATUS": 1}))[1].device_id
        == chirpstack("up", chirpstack_up())[1].device_id
    )


def test_things_stack_without_a_codec_join_and_other_topics() -> None:
    unread, reading = tts("up", tts_up(None))
    assert unread == "undecoded"
    assert reading.door_open is None
    body = json.loads(tts_up(None))
    body["uplink_message"]["last_battery_percentage"] = {"f_cnt": 40, "value": 12.5}
    assert tts("up", json.dumps(body).encode())[1].sensor_battery_pct == 12
    join = {
        "end_device_ids": {"device_id": "dev1", "application_ids": {"application_id": "app1"},
                           "dev_eui": "0004A30B001C0530", "join_eui": "800000000000000C",
                           "dev_addr": "00BCB929"},
        "correlation_ids": ["as:up:01..."],
        "received_at": "2020-02-12T15:15:45.787Z",
        "join_accept": {"session_key_id": "AXBSH1Pk6Z0G166...", "received_at": "2020-02-17T07:49:00.000Z"},
    }  # fmt: skip
    _, identity = tts("join", json.dumps(join).encode())
    assert identity.type is ReadingType.IDENTITY
    assert identity.device_id == "0004a30b001c0530"
    assert identity.boot == "00bcb929"
    assert identity.kind is DeviceKind.OTHER
    assert tts("down/queued", b"{}") == ["down_queued"]
    with pytest.raises(ProtocolError) as refused:
        tts("uplink_normalized_v9", b"{}")
    assert refused.value.reason == "unknown_event"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (tts_up({"DOOR_OPEN_STATUS": 1}, dev_eui="XYZ"), "bad_id"),
        (b'{"end_device_ids": {"device_id": "abp-device"}}', "bad_id"),
        (b'{"uplink_message": {}}', "bad_payload"),
        (json.dumps({"end_device_ids": {"dev_eui": EUI}}).encode(), "bad_payload"),
        (tts_up({"DOOR_OPEN_STATUS": "open"}), "profile"),
        (tts_up({"BAT_V": 1e400}), "bad_payload"),  # Infinity, as Python's json writes it
        (tts_up([1, 2]), "bad_payload"),  # type: ignore[arg-type]
        (tts_up({"DOOR_OPEN_STATUS": 1})[:100], "bad_payload"),
    ],
)
def test_hostile_things_stack_messages_are_refused(payload: bytes, reason: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        tts("up", payload)
    assert refused.value.reason == reason


# Zigbee2MQTT ---------------------------------------------------------------------------------

AQARA = {
    "ieee_address": "0x00158D0001D82999",
    "type": "EndDevice",
    "network_address": 29159,
    "supported": True,
    "friendly_name": "school/aed cabinet",
    "disabled": False,
    "power_source": "Battery",
    "model_id": "lumi.sensor_magnet.aq2",
    "manufacturer": "LUMI",
    "interview_completed": True,
    "definition": {
        "model": "MCCGQ11LM",
        "vendor": "Aqara",
        "description": "Door and window sensor",
        "exposes": [
            {"type": "binary", "name": "contact", "property": "contact", "access": 1, "value_on": False},
            {"type": "numeric", "name": "battery", "property": "battery", "unit": "%"},
        ],
    },
}
SONOFF = {
    "ieee_address": "0x00124b0022a4c0f1", "type": "EndDevice", "friendly_name": "school/thermometer",
    "definition": {"model": "SNZB-02", "vendor": "SONOFF",
                   "exposes": [{"type": "numeric", "property": "temperature"}]},
}  # fmt: skip
COORDINATOR = {"ieee_address": "0x00124b00226de1e1", "type": "Coordinator", "friendly_name": "Coordinator"}


def zigbee() -> Zigbee2Mqtt:
    network = Zigbee2Mqtt("school-7")
    network.translate(
        "zigbee2mqtt/bridge/devices", json.dumps([COORDINATOR, AQARA, SONOFF]).encode(), arrival=ARRIVAL
    )
    return network


def test_zigbee2mqtt_names_sensors_by_ieee_address_and_reads_their_state() -> None:
    network = Zigbee2Mqtt("school-7")
    named = network.translate(
        "zigbee2mqtt/bridge/devices", json.dumps([COORDINATOR, AQARA, SONOFF]).encode(), arrival=ARRIVAL
    )
    identities = {r.device_id: r for r in named.readings}
    assert set(identities) == {"0x00158d0001d82999", "0x00124b0022a4c0f1"}
    assert identities["0x00158d0001d82999"].kind is DeviceKind.CABINET
    assert identities["0x00124b0022a4c0f1"].kind is DeviceKind.OTHER
    assert identities["0x00158d0001d82999"].model == "MCCGQ11LM"
    state = (
        b'{"battery":91,"contact":false,"linkquality":87,"voltage":3005,'
        b'"device_temperature":22,"power_outage_count":4}'
    )
    [reading] = network.translate("zigbee2mqtt/school/aed cabinet", state, arrival=ARRIVAL).readings
    assert reading.device_id == "0x00158d0001d82999"
    assert reading.door_open is True
    assert reading.sensor_battery_pct == 91
    assert reading.extra["linkquality"] == 87
    assert reading.extra["sensor_name"] == "school/aed cabinet"
    closed = network.translate("zigbee2mqtt/school/aed cabinet", b'{"contact":true}', arrival=ARRIVAL)
    assert closed.readings[0].door_open is False
    # the same list again names nobody anew; a rename is the same device with a new name
    assert (
        network.translate(
            "zigbee2mqtt/bridge/devices", json.dumps([AQARA]).encode(), arrival=ARRIVAL
        ).readings
        == []
    )
    renamed = network.translate(
        "zigbee2mqtt/bridge/devices",
        json.dumps([{**AQARA, "friendly_name": "cabinet 2"}]).encode(),
        arrival=ARRIVAL,
    )
    assert [r.device_id for r in renamed.readings] == ["0x00158d0001d82999"]
    assert (
        network.translate("zigbee2mqtt/cabinet 2", b'{"contact":true}', arrival=ARRIVAL).readings[0].door_open
        is False
    )


def test_zigbee2mqtt_last_seen_makes_a_redelivered_state_one_reading() -> None:
    network = zigbee()
    state = b'{"contact":false,"last_seen":"2026-12-07T11:59:58+02:00"}'
    first = network.translate("zigbee2mqtt/school/aed cabinet", state, arrival=ARRIVAL).readings[0]
    later = datetime(2026, 12, 7, 10, 5, tzinfo=UTC)
    again = network.translate("zigbee2mqtt/school/aed cabinet", state, arrival=later).readings[0]
    assert first.device_time == datetime(2026, 12, 7, 9, 59, 58, tzinfo=UTC)
    assert first.key == again.key
    epoch = network.translate(
        "zigbee2mqtt/school/aed cabinet", b'{"last_seen":1796637598000}', arrival=ARRIVAL
    )
    assert epoch.readings[0].device_time == datetime.fromtimestamp(1796637598, tz=UTC)


@pytest.mark.parametrize("payload", [b'{"state":"offline"}', b"offline", b" OFFLINE\n"])
def test_zigbee2mqtt_availability_new_and_legacy(payload: bytes) -> None:
    [reading] = (
        zigbee().translate("zigbee2mqtt/school/aed cabinet/availability", payload, arrival=ARRIVAL).readings
    )
    assert reading.type is ReadingType.AVAILABILITY
    assert reading.online is False
    online = zigbee().translate(
        "zigbee2mqtt/school/aed cabinet/availability", b'{"state":"online"}', arrival=ARRIVAL
    )
    assert online.readings[0].online is True


def test_the_coordinator_down_takes_every_sensor_offline() -> None:
    down = zigbee().translate("zigbee2mqtt/bridge/state", b'{"state":"offline"}', arrival=ARRIVAL)
    assert {(r.device_id, r.online, r.extra["reason"]) for r in down.readings} == {
        ("0x00158d0001d82999", False, "coordinator"),
        ("0x00124b0022a4c0f1", False, "coordinator"),
    }
    assert zigbee().translate("zigbee2mqtt/bridge/state", b"online", arrival=ARRIVAL).readings == []


def test_zigbee2mqtt_commands_bridge_chatter_and_a_custom_base() -> None:
    network = zigbee()
    for topic in ("zigbee2mqtt/school/aed cabinet/set", "zigbee2mqtt/bridge/logging",
                  "zigbee2mqtt/bridge/info", "zigbee2mqtt/school/aed cabinet/contact",
                  "zigbee2mqtt/bridge/response/device/rename"):  # fmt: skip
        assert network.translate(topic, b'{"x":1}', arrival=ARRIVAL).readings == []
    other = Zigbee2Mqtt("s", "/home/z2m/")
    assert other.subscriptions() == ["home/z2m/#"]
    with pytest.raises(ProtocolError):
        other.translate("zigbee2mqtt/x", b"{}", arrival=ARRIVAL)


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("zigbee2mqtt/" + "n" * 300, b'{"contact":true}', "unknown_device"),
        ("zigbee2mqtt/" + "n" * 300 + "/availability", b"online", "unknown_device"),
        ("zigbee2mqtt/school/aed cabinet", b'{"contact":"yes"}', "bad_field"),
        ("zigbee2mqtt/school/aed cabinet", b'{"temperature":"warm"}', "bad_field"),
        ("zigbee2mqtt/school/aed cabinet", b'{"temperature":900}', "bad_field"),
        ("zigbee2mqtt/school/aed cabinet", b'{"battery":NaN}', "bad_payload"),
        ("zigbee2mqtt/school/aed cabinet", b'{"battery":9', "bad_payload"),
        ("zigbee2mqtt/school/aed cabinet", b'"open"', "bad_payload"),
        ("zigbee2mqtt/school/aed cabinet", b'{"x":"' + b"a" * 20_000 + b'"}', "too_large"),
        ("zigbee2mqtt/school/aed cabinet/availability", b'{"state":"maybe"}', "bad_payload"),
        ("zigbee2mqtt/bridge/state", b"[]", "bad_payload"),
    ],
)
def test_hostile_zigbee2mqtt_messages_are_refused(topic: str, payload: bytes, reason: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        zigbee().translate(topic, payload, arrival=ARRIVAL)
    assert refused.value.reason == reason


@pytest.mark.parametrize(
    "junk",
    [b"not json", b'{"devices": []}', b"[1, 2, 3]", json.dumps([{**AQARA, "ieee_address": "0xZZ"}]).encode(),
     b"[" + b"{}," * 6000 + b"{}]"],
)  # fmt: skip
def test_retained_junk_on_bridge_devices_is_refused_and_the_list_before_it_stays(junk: bytes) -> None:
    network = zigbee()
    with pytest.raises(ProtocolError) as refused:
        network.translate("zigbee2mqtt/bridge/devices", junk, arrival=ARRIVAL)
    assert refused.value.reason in ("bad_devices", "bad_payload")
    assert network.translate("zigbee2mqtt/school/aed cabinet", b'{"contact":true}', arrival=ARRIVAL).readings


def test_the_profile_chosen_on_the_devices_record_comes_first() -> None:
    payload = chirpstack_up(object={"Device": "R311A", "Volt": 3, "OnOff": 0})
    chosen = {EUI: "netvox/r311a"}
    translation = ChirpStack("town-a", PROFILES, chosen=chosen.get).translate(
        f"application/8d1b4a9e/device/{EUI}/event/up", payload, arrival=ARRIVAL
    )
    [reading] = translation.readings
    assert reading.door_open is False
    assert reading.extra["profile"] == "netvox/r311a"
    # a name no profile answers to gives way to what the network names
    unknown = ChirpStack("town-a", PROFILES, chosen={EUI: "acme/nothing"}.get).translate(
        f"application/8d1b4a9e/device/{EUI}/event/up", chirpstack_up(), arrival=ARRIVAL
    )
    assert unknown.readings[0].extra["profile"] == "dragino/lds02"
    tts_chosen = ThingsStack("town-a", PROFILES, chosen={EUI: "netvox/r311a"}.get).translate(
        "v3/aed-cabinets@ttn/devices/eui-a84041000181c2d5/up",
        tts_up({"OnOff": 1, "Volt": 3}),
        arrival=ARRIVAL,
    )
    assert tts_chosen.readings[0].door_open is True


def test_chirpstack_v3s_own_formats_are_read_too() -> None:
    """ChirpStack v3 publishes on the same topics: its protobuf JSON (bytes in base64, the codec's
    object as `objectJSON` text, `loRaSNR`, `error` events) and its legacy JSON (hex, `object`).
    Shaped as its documentation's `up` example."""
    v3 = {
        "applicationID": "123",
        "applicationName": "temperature-sensor",
        "deviceName": "garden-sensor",
        "devEUI": "AgICAgICAgI=",
        "rxInfo": [
            {"gatewayID": "AwMDAwMDAwM=", "time": "2019-11-08T13:59:25.048445Z", "timeSinceGPSEpoch": None,
             "rssi": -48, "loRaSNR": 9, "channel": 5, "rfChain": 0, "board": 0, "antenna": 0,
             "location": {"latitude": 52.3740364, "longitude": 4.9144401, "altitude": 10.5},
             "fineTimestampType": "NONE", "context": "9u/uvA==", "uplinkID": "jhMh8Gq6RAOChSKbi83RHQ=="},
        ],
        "txInfo": {"frequency": 868100000, "modulation": "LORA",
                   "loRaModulationInfo": {"bandwidth": 125, "spreadingFactor": 11, "codeRate": "4/5"}},
        "adr": True, "dr": 1, "fCnt": 10, "fPort": 5, "data": "AXUyA2fIAARoPA==",
        "objectJSON": '{"battery":50,"temperature":20.0,"humidity":30.0}',
        "tags": {"aedmon_profile": "milesight-iot/em300-th"},
        "confirmedUplink": False,
        "devAddr": "AFE5Qg==",
    }  # fmt: skip
    topic = "application/123/device/0202020202020202/event/up"
    network = ChirpStack("town-a", PROFILES)
    [reading] = network.translate(topic, json.dumps(v3).encode(), arrival=ARRIVAL).readings
    assert reading.device_id == "0202020202020202"
    assert (reading.temp_c, reading.humidity_pct, reading.sensor_battery_pct) == (20.0, 30.0, 50)
    assert (reading.rssi_dbm, reading.snr_db, reading.seq) == (-48.0, 9.0, 10)
    assert reading.device_time == datetime(2019, 11, 8, 13, 59, 25, 48445, tzinfo=UTC)
    assert reading.boot == "00513942"
    assert reading.extra["sensor_name"] == "garden-sensor"
    legacy = {**v3, "devEUI": "0202020202020202", "object": {"battery": 9}}
    del legacy["objectJSON"]
    [low] = network.translate(topic, json.dumps(legacy).encode(), arrival=ARRIVAL).readings
    assert low.sensor_battery_pct == 9
    assert network.translate(topic.replace("/up", "/error"), b"{}", arrival=ARRIVAL).unread == "error"
    with pytest.raises(ProtocolError) as refused:
        network.translate(topic, json.dumps({**v3, "objectJSON": "{not json"}).encode(), arrival=ARRIVAL)
    assert refused.value.reason == "bad_payload"
    with pytest.raises(ProtocolError) as other:
        network.translate(topic, json.dumps({**v3, "devEUI": "AwMDAwMDAwM="}).encode(), arrival=ARRIVAL)
    assert other.value.reason == "bad_id"


def test_a_state_that_names_its_device_is_read_before_the_device_list_names_it() -> None:
    """Zigbee2MQTT's `include_device_information: true` puts the device's IEEE address in each state."""
    network = Zigbee2Mqtt("school-7")
    state = {
        "contact": False,
        "battery": 87,
        "device": {"friendlyName": "hall/cabinet", "ieeeAddr": "0x00158D0001D82999", "networkAddress": 29159,
                   "manufacturerName": "LUMI", "model": "MCCGQ11LM", "powerSource": "Battery",
                   "type": "EndDevice"},
    }  # fmt: skip
    [reading] = network.translate(
        "zigbee2mqtt/hall/cabinet", json.dumps(state).encode(), arrival=ARRIVAL
    ).readings
    assert reading.device_id == "0x00158d0001d82999"
    assert reading.door_open is True
    assert "device" not in reading.extra
    assert reading.extra["sensor_name"] == "hall/cabinet"
    forged = {"contact": True, "device": {"ieeeAddr": "0xnot-an-address"}}
    with pytest.raises(ProtocolError) as refused:
        network.translate("zigbee2mqtt/hall/other", json.dumps(forged).encode(), arrival=ARRIVAL)
    assert refused.value.reason == "unknown_device"
