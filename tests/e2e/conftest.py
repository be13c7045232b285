"""What the page tests share: a small fleet on a real server, a self-test sent as its bridge
would, and screenshots kept under docs/ when AEDMON_SCREENSHOTS=1."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from aedmon.clock import utc_now
from aedmon.reading import TestResult
from simulators.aed import AedModel, AedSimulator

from .. import factories
from ..conftest import ServerProcess

DOCS = Path(__file__).resolve().parents[2] / "docs"

# Chromium's own measure of a broken word: one word (between spaces, slashes or hyphens, where a
# line may break) laid out on several lines.
BROKEN_WORDS = """() => {
  const broken = [];
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const range = document.createRange();
    let offset = 0;
    for (const word of node.textContent.split(/([\\s\\/\\-–]+)/)) {
      if (word.trim().length > 1) {
        range.setStart(node, offset);
        range.setEnd(node, offset + word.length);
        const rects = [...range.getClientRects()].filter((r) => r.width > 0);
        const lines = new Set(rects.map((r) => Math.round(r.top)));
        if (lines.size > 1) broken.push(word);
      }
      offset += word.length;
    }
  }
  return broken;
}"""

# A chart's text cut at its left edge (a y axis narrower than its labels): anything drawn in the
# canvas's first two columns, which an axis wide enough leaves empty. The keys of such charts.
CUT_CHARTS = """() => [...document.querySelectorAll(".chart canvas")].filter((canvas) => {
  const pixels = canvas.getContext("2d").getImageData(0, 0, 2, canvas.height).data;
  return pixels.some((value, n) => n % 4 === 3 && value > 0);
}).map((canvas) => canvas.closest(".chart").dataset.key)"""


def send(server: ServerProcess, seq: int, result: TestResult, device: str = "SN1", **more: Any) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    fields = {
        "battery_pct": 88,
        "pads_expiry": date(2027, 3, 31),
        "pads_connected": True,
        "temp_c": 21.0,
        **more,
    }
    reading = factories.selftest(result, device=device, seq=seq, at=now, **fields)
    with server.client("bridge") as client:
        client.post("/api/v1/ingest", json={"readings": [reading.model_dump(mode="json")]}).raise_for_status()


@pytest.fixture
def fleet(server: ServerProcess) -> ServerProcess:
    devices = [
        factories.device(
            "SN1", name="Reception AED", place="Ground floor, reception", lat=42.6062, lon=23.0379
        ),
        factories.device("SN2", name="Council chamber AED", place="First floor"),
        factories.device("SN3", name="Sports hall AED", place="Basement"),
    ]
    with server.client("admin") as admin:
        for device in devices:
            admin.post("/api/v1/devices", json=device).raise_for_status()
    send(server, 1, TestResult.PASS, "SN1")
    send(server, 1, TestResult.WARN, "SN2", codes=("B01",))
    return server


@pytest.fixture
def aed(tmp_path: Path) -> Iterator[AedSimulator]:
    """A simulated AED on a pseudo-terminal: a self-test an hour, a heartbeat a second."""
    sim = AedSimulator(
        AedModel("SN10442"),
        utc_now,
        selftest_interval_s=3600,
        heartbeat_interval_s=1,
        link=tmp_path / "ttyAED",
    ).start()
    yield sim
    sim.close()


def switch_language(page: Any, language: str) -> None:
    """Pick a language in the page's switch and wait until the page has redrawn in it (its
    words come from the server's catalogue for that language, fetched on the switch)."""
    page.select_option("#lang", language)
    page.wait_for_function("code => document.documentElement.lang === code", arg=language, timeout=10_000)


def screenshot(page: Any, name: str, selector: str | None = None) -> None:
    """Keep the page (or one part of it) as docs/NAME when AEDMON_SCREENSHOTS is set."""
    if os.environ.get("AEDMON_SCREENSHOTS"):
        DOCS.mkdir(exist_ok=True)
        if selector:
            page.locator(selector).screenshot(path=str(DOCS / name))
        else:
            page.screenshot(path=str(DOCS / name), full_page=True)


def accept_and_sign_in(browser: Any, invite_url: str, email: str, password: str) -> Any:
    """A new person, in a browser of their own: sets their password from the invitation's link,
    signs in, and is on the board."""
    page = browser.new_context().new_page()
    page.goto(invite_url)
    page.fill("input[name=password]", password)
    page.fill("input[name=again]", password)
    page.click("#invite-form button[type=submit]")
    page.wait_for_url("**/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/board")
    return page
