"""An area's public status page: no sign-in, nothing private, how many AEDs are ready now, the
last 90 days as bars, each public AED with its state; framed by another site's page; in each
language; on both databases."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from aedmon.demo import free_port
from aedmon.reading import TestResult

from .. import factories
from ..conftest import ServerProcess, serve
from .conftest import send


def municipality(server: ServerProcess) -> None:
    with server.client("admin") as admin:
        for device in (
            factories.device("PUB1", site="pernik-hall", name="Town hall AED", place="Foyer", lat=42.6,
                             lon=23.03, public=True, area="pernik"),
            factories.device("PRIV1", site="pernik-school", name="Staff room AED", place="Secret corridor",
                             area="pernik"),
            factories.device("ELSE1", site="sofia-school", name="Sofia AED", area="sofia", public=True,
                             lat=42.7, lon=23.3),
        ):  # fmt: skip
            admin.post("/api/v1/devices", json=device).raise_for_status()
    send(server, 1, TestResult.PASS, "PUB1", site="pernik-hall")
    send(server, 1, TestResult.FAIL, "PRIV1", site="pernik-school", codes=("C02",))


@pytest.mark.parametrize("server_database", ["sqlite", "postgresql"], indirect=True)
def test_the_public_status_says_counts_and_public_aeds_and_nothing_private(server: ServerProcess) -> None:
    municipality(server)
    answer = httpx.get(f"{server.url}/api/v1/public/status/pernik")  # no token
    assert answer.status_code == 200, answer.text
    said = answer.json()
    assert said["counts"]["ready"] + said["counts"]["attention"] == 1
    assert said["counts"]["not_ready"] == 1
    assert [aed["name"] for aed in said["public"]] == ["Town hall AED"]
    assert len(said["days"]) == 90
    assert said["days"][-1]["ready_share"] is not None
    assert said["days"][0]["ready_share"] is None  # before any history: no record, never 0
    text = answer.text
    for private in ("Staff room AED", "Secret corridor", "PRIV1", "Sofia AED", "pernik-school"):
        assert private not in text
    assert httpx.get(f"{server.url}/api/v1/public/status/nowhere").status_code == 404
    assert httpx.get(f"{server.url}/api/v1/public/status/%00").status_code in (400, 404)
    page = httpx.get(f"{server.url}/status/pernik")
    assert "frame-ancestors *" in page.headers["content-security-policy"]
    assert "x-frame-options" not in page.headers
    assert "frame-ancestors 'none'" in httpx.get(f"{server.url}/board").headers["content-security-policy"]


@pytest.mark.parametrize(
    ("language", "title", "ready"),
    [("bg", "Състояние на дефибрилаторите", "дефибрилатора са готови сега"),
     ("uk", "Стан дефібриляторів", "дефібриляторів готові зараз"),
     ("cs", "Stav defibrilátorů", "defibrilátorů je nyní připraveno"),
     ("en", "AED status", "AEDs ready now")],
)  # fmt: skip
def test_a_municipalitys_site_frames_the_status_page_in_its_language(
    server: ServerProcess, browser: Any, language: str, title: str, ready: str
) -> None:
    municipality(server)
    port = free_port()
    src = f"{server.url}/status/pernik?lang={language}"
    outer = f'<html><body><iframe id="aeds" src="{src}" width="390" height="800"></iframe></body></html>'

    class Site(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802  (the standard library's name)
            body = outer.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    site = ThreadingHTTPServer(("127.0.0.1", port), Site)
    serve(site)
    try:
        page = browser.new_page(locale=language)
        page.goto(f"http://127.0.0.1:{port}/")
        frame = page.frame_locator("#aeds")
        frame.locator("#days span").first.wait_for()
        assert frame.locator("h1").inner_text() == title
        assert ready in frame.locator("#ready-now").inner_text()
        assert frame.locator("#days span").count() == 90
        assert frame.locator(".public-aed").count() == 1
        # the public AED on the map too, coloured by its state (the private one nowhere)
        frame.locator("#status-map .marker-ready").wait_for()
        assert frame.locator("#status-map").get_attribute("data-markers") == "1"
        shown = frame.locator("main").inner_text()
        for raw in ("not_ready", "ready_share", "null", "undefined", "Staff room AED"):
            assert raw not in shown
    finally:
        site.shutdown()
