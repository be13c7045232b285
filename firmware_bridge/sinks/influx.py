"""Sink to InfluxDB (v2 write API, or anything speaking it) through influxdb-client.

Schema (also in the README): one measurement per reading type, `aedmon_<type>`; tags
`site`, `device`, `kind` and a few low-cardinality strings per type; numeric fields from
`aedmon.reading.METRICS`, plus `seq` and `lag_s` (arrival minus device time). Timestamps
are device time to the millisecond plus, below it, nanoseconds drawn from the reading's
message digest: a repeated reading overwrites itself, while a different reading at the same
device time (a device whose clock restarts at each power-up) is a point of its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write.point import Point
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.domain.write_precision import WritePrecision
from influxdb_client.rest import ApiException
from urllib3.exceptions import HTTPError as Urllib3Error

from aedmon.errors import BatchRefused, SinkUnauthorized, SinkUnavailable
from aedmon.reading import Reading, ReadingType, metric_values

_NS_PER_MS = 1_000_000

_STRING_TAGS: dict[ReadingType, tuple[str, ...]] = {
    ReadingType.SELFTEST: ("test", "result"),
    ReadingType.HEARTBEAT: ("state",),
    ReadingType.STATUS: ("state",),
    ReadingType.EVENT: ("event",),
    ReadingType.LOCATION: ("location_source",),
    ReadingType.IDENTITY: ("manufacturer", "model", "firmware"),
}


def measurement(reading_type: ReadingType) -> str:
    return f"aedmon_{reading_type.value}"


def to_point(reading: Reading) -> Point:
    """The InfluxDB point for one reading; pure."""
    point = (
        Point(measurement(reading.type))
        .tag("site", reading.site)
        .tag("device", reading.device_id)
        .tag("kind", reading.kind.value if reading.kind else "unknown")
    )
    for name in _STRING_TAGS.get(reading.type, ()):
        value = getattr(reading, name)
        if value:
            point = point.tag(name.removeprefix("location_"), str(value))
    if reading.type is ReadingType.SELFTEST:
        point = point.tag("codes", "|".join(reading.codes) or "none")
    for key, value in metric_values(reading).items():
        point = point.field(key, value)
    if reading.seq is not None:
        point = point.field("seq", reading.seq)
    lag = (reading.arrival_time - reading.device_time).total_seconds()
    point = point.field("lag_s", round(lag, 3))
    if reading.type is ReadingType.EVENT:
        point = point.field("count", 1)
    timed: Point = point.time(timestamp_ns(reading), WritePrecision.NS)
    return timed


def timestamp_ns(reading: Reading) -> int:
    """The point's time: device time to the millisecond, and the message's own nanoseconds."""
    moment = reading.device_time
    whole_ms = (int(moment.timestamp()) * 1000) + moment.microsecond // 1000
    return whole_ms * _NS_PER_MS + int(reading.key.rsplit("|", 1)[1], 16) % _NS_PER_MS


class InfluxSink:
    name = "influx"

    def __init__(self, url: str, token: str, org: str, bucket: str, *, timeout_ms: int = 10_000) -> None:
        self.bucket, self.org = bucket, org
        self._client = InfluxDBClient(url=url, token=token, org=org, timeout=timeout_ms)
        self._write = self._client.write_api(write_options=SYNCHRONOUS)

    def deliver(self, readings: Sequence[Reading]) -> list[tuple[int, str]]:
        try:
            self._write.write(
                bucket=self.bucket,
                org=self.org,
                record=[to_point(r) for r in readings],
                write_precision=WritePrecision.NS,  # type: ignore[arg-type]  # a str constant
            )
        except ApiException as exc:
            if exc.status in (401, 403):
                raise SinkUnauthorized(f"InfluxDB answered {exc.status}: the token is not accepted") from exc
            if exc.status in (400, 413, 422):
                raise BatchRefused(f"InfluxDB answered {exc.status}") from exc
            raise SinkUnavailable(f"InfluxDB write failed: {exc.status}") from exc
        except (Urllib3Error, OSError) as exc:
            raise SinkUnavailable(f"InfluxDB write failed: {exc.__class__.__name__}") from exc
        return []

    def close(self) -> None:
        self._client.close()
