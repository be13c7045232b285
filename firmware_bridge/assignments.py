"""The sensor profiles chosen at enrolment (`profile` on the device record), fetched from the
server for the devices of the bridge key's sites: the LoRaWAN translators read a device's
payloads with its chosen profile before any its network names.

Fetched at start and every `INTERVAL_S`, each time within a total deadline and a size bound;
a failed fetch keeps what was known (and is logged, throttled), so the server being away never
stops a sensor from being read.
"""

from __future__ import annotations

import logging
import threading
import time

import httpx

from aedmon.logs import Throttle
from aedmon.profiles import NAME_RE

log = logging.getLogger(__name__)

INTERVAL_S = 60.0
DEADLINE_S = 10.0
MAX_BYTES = 4 * 1024 * 1024


class Assignments(threading.Thread):
    def __init__(
        self, server: str, token: str, stop: threading.Event, *, interval_s: float = INTERVAL_S
    ) -> None:
        super().__init__(name="profile-assignments", daemon=True)
        self.url = server.rstrip("/") + "/api/v1/ingest/profiles"
        self.token, self.stop_event, self.interval_s = token, stop, interval_s
        self.chosen: dict[str, str] = {}  # replaced whole: readers never see it half made
        self.tried = threading.Event()  # the first fetch is over, done or failed

    def __call__(self, device: str) -> str | None:
        return self.chosen.get(device)

    def run(self) -> None:
        told = Throttle()
        while not self.stop_event.is_set():
            try:
                fetched = self._fetch()
                if fetched != self.chosen:
                    log.info("sensor profiles chosen at enrolment", extra={"devices": len(fetched)})
                self.chosen = fetched
            except (httpx.HTTPError, ValueError, TimeoutError) as exc:
                if told.due():
                    log.warning(
                        "sensor profiles chosen at enrolment not fetched; keeping those known",
                        extra={
                            "error": f"{exc.__class__.__name__}: {str(exc)[:200]}",
                            "known": len(self.chosen),
                        },
                    )
            self.tried.set()
            self.stop_event.wait(self.interval_s)

    def _fetch(self) -> dict[str, str]:
        deadline = time.monotonic() + DEADLINE_S
        body = bytearray()
        headers = {"Authorization": f"Bearer {self.token}"}
        with (
            httpx.Client(timeout=DEADLINE_S) as client,
            client.stream("GET", self.url, headers=headers) as response,
        ):
            response.raise_for_status()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise ValueError(f"answer larger than {MAX_BYTES // 1024 // 1024} MiB")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"answer not read within {DEADLINE_S:g} s")
        profiles = httpx.Response(200, content=bytes(body)).json().get("profiles")
        if not isinstance(profiles, dict):
            raise ValueError("answer without profiles")
        return {
            str(device): profile.lower()
            for device, profile in profiles.items()
            if isinstance(profile, str) and NAME_RE.match(profile.lower())
        }
