"""What the outbox bound may drop is decided more conservatively than the server's rules:
nothing the rules would flag is droppable."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from aedmon.reading import DeviceKind, DeviceState, Reading, ReadingType
from server.rules.alerting import evaluate
from server.rules.facts import DeviceFacts, DeviceInfo, Policy
from server.rules.findings import AlertType

from .. import factories

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
# What time alone or other readings raise, whatever this one says.
NOT_FROM_THIS_READING = {AlertType.SELF_TEST_OVERDUE, AlertType.DEVICE_SILENT, AlertType.BRIDGE_OFFLINE}

temps = st.none() | st.floats(-40, 85)
statuses = st.builds(
    Reading,
    device_id=st.just("CAB1"),
    site=st.just("s"),
    type=st.sampled_from([ReadingType.STATUS, ReadingType.HEARTBEAT]),
    device_time=st.just(NOW),
    arrival_time=st.just(NOW),
    seq=st.integers(0, 65535),
    state=st.none() | st.sampled_from(DeviceState),
    door_open=st.none() | st.booleans(),
    aed_present=st.none() | st.booleans(),
    temp_c=temps,
    fridge_temp_c=st.none() | st.floats(-40, 60),
    o2_pressure_bar=st.none() | st.floats(0, 300),
    humidity_pct=st.none() | st.floats(0, 100),
)


@settings(max_examples=300)
@given(statuses, st.sampled_from([DeviceKind.AED, DeviceKind.CABINET, DeviceKind.MOBILE_UNIT]))
def test_nothing_the_rules_would_flag_is_droppable(reading: Reading, kind: DeviceKind) -> None:
    facts = DeviceFacts(
        device=DeviceInfo(id="CAB1", site="s", kind=kind),
        latest_state=reading,
        recent_states=(reading,),
        last_seen=NOW,
        last_site="s",
    )
    flagged = set(evaluate(facts, NOW, Policy()).findings) - NOT_FROM_THIS_READING
    if flagged:
        assert reading.may_alert, flagged


def test_every_self_test_is_kept_even_a_pass() -> None:
    low_battery_pass = factories.selftest(device="A", site="s", at=NOW, battery_pct=15)
    assert low_battery_pass.may_alert


def test_a_warm_fridge_is_kept() -> None:
    warm = factories.status(device="MU", site="s", at=NOW, fridge_temp_c=12.0)
    assert warm.may_alert
