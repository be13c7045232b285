"""The one boundary: every Reading the model accepts is one both stores keep. Hypothesis makes
readings at and inside every bound; each is ingested on SQLite and on PostgreSQL without one
rejection or error."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from aedmon.reading import (
    CODES_MAX,
    DETAIL_MAX,
    EARLIEST,
    EXTRA_DEPTH_MAX,
    LATEST,
    TEXT_MAX,
    DeviceState,
    EventType,
    LocationSource,
    Reading,
    ReadingType,
    TestResult,
    TestType,
)
from server.ingest import Outcome, ingest
from server.rules.facts import Policy
from server.store.database import create_schema, make_engine, session_factory

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
ids = st.from_regex(r"\A[A-Za-z0-9_-]{1,64}\Z")
# Anything printable in any script: no control characters (Cc) and no lone surrogates (Cs).
texts = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=TEXT_MAX)
LAST = LATEST - timedelta(microseconds=1)
moments = st.datetimes(EARLIEST.replace(tzinfo=None), LAST.replace(tzinfo=None), timezones=st.just(UTC))
days = st.dates(EARLIEST.date(), LAST.date())


def within(low: float, high: float) -> st.SearchStrategy[float | None]:
    return st.none() | st.floats(low, high, allow_nan=False)


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)
names = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=64)


def nested(levels: int) -> st.SearchStrategy[Any]:
    """JSON values whose containers nest `levels` deep at most."""
    if levels == 0:
        return scalars
    inner = nested(levels - 1)
    return scalars | st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=4)


extras = st.dictionaries(names, nested(EXTRA_DEPTH_MAX - 1), max_size=8)  # extra itself is one level
readings = st.builds(
    Reading,
    device_id=ids,
    site=ids,
    type=st.sampled_from(ReadingType),
    device_time=moments,
    arrival_time=moments,
    seq=st.none() | st.integers(0, 65535),
    source=texts,
    serial=st.none() | texts,
    manufacturer=st.none() | texts,
    model=st.none() | texts,
    firmware=st.none() | texts,
    test=st.none() | st.sampled_from(TestType),
    result=st.none() | st.sampled_from(TestResult),
    codes=st.lists(st.from_regex(r"\A[!-~]{1,16}\Z"), max_size=CODES_MAX).map(tuple),
    battery_pct=st.none() | st.integers(0, 100),
    battery_expiry=st.none() | days,
    pads_expiry=st.none() | days,
    pads_connected=st.none() | st.booleans(),
    temp_c=within(-40, 85),
    state=st.none() | st.sampled_from(DeviceState),
    door_open=st.none() | st.booleans(),
    aed_present=st.none() | st.booleans(),
    humidity_pct=within(0, 100),
    supply_voltage=within(0, 60),
    rssi_dbm=within(-150, 0),
    fridge_temp_c=within(-40, 60),
    o2_pressure_bar=within(0, 300),
    event=st.none() | st.sampled_from(EventType),
    detail=st.none() | st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=DETAIL_MAX),
    lat=within(-90, 90),
    lon=within(-180, 180),
    accuracy_m=within(0, 100_000),
    speed_kmh=within(0, 2_000),
    location_source=st.none() | st.sampled_from(LocationSource),
    online=st.none() | st.booleans(),
    extra=extras,
)


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url)
    create_schema(engine)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])  # fmt: skip
@given(readings)
def test_every_reading_the_model_accepts_is_stored(session: Session, reading: Reading) -> None:
    body: dict[str, Any] = reading.model_dump(mode="json")
    result = ingest(session, [body], NOW, Policy())
    assert [o.status for o in result.outcomes] in ([Outcome.STORED], [Outcome.DUPLICATE]), result.outcomes
