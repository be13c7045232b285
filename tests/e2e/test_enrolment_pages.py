"""A municipality's administrator, in Chromium, as a new user would be and without a terminal:
signs in, imports the town's AEDs from a spreadsheet (preview, then apply), invites the
caretakers of two schools and a technician, hands a bridge its key, and prints the stickers
(read back from the PDF Chromium makes). Then each caretaker sees and inspects only their
own school's AEDs, and the bridge's key ingests only for its site."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pypdf

from aedmon.reading import TestResult

from .. import factories
from ..conftest import ServerProcess
from .conftest import accept_and_sign_in, switch_language

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "docs" / "devices-sample.csv"
CHECKS = {"status_light_ok": True, "pads_sealed_in_date": True, "cabinet_intact": True}


def invite(page: Any, email: str, role: str, sites: str = "", areas: str = "") -> str:
    form = page.locator("#invite-person")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=name]").fill(email.split("@")[0].title())
    form.locator("select[name=role]").select_option(role)
    form.locator("input[name=sites]").fill(sites)
    form.locator("input[name=areas]").fill(areas)
    form.locator("button[type=submit]").click()
    page.wait_for_selector(f'#people [data-person="{email}"]')
    link: str = form.locator(".once input").input_value()
    assert link.startswith("http")
    assert "/invite#token=" in link
    return link


def csrf_of(page: Any, url: str) -> str:
    token: str = page.request.get(f"{url}/api/v1/whoami").json()["csrf_token"]
    return token


def test_an_administrator_enrols_a_town_invites_its_people_and_prints_stickers(
    server: ServerProcess, browser: Any
) -> None:
    # The one step before any person exists: the installation's bootstrap token invites the
    # municipality's administrator (the README's "from shared tokens to people").
    with server.client("admin") as bootstrap:
        made = bootstrap.post(
            "/api/v1/users",
            json={"email": "elena@sofia.bg", "name": "Elena", "role": "admin", "areas": ["sofia"]},
        )
        made.raise_for_status()
    admin = accept_and_sign_in(
        browser, made.json()["invite_url"], "elena@sofia.bg", "an administrator's passphrase"
    )
    admin.goto(f"{server.url}/admin")

    # The spreadsheet: previewed row by row, nothing changed, then applied.
    admin.set_input_files("#import-form input[name=file]", str(SAMPLE))
    admin.click("#import-form button[type=submit]")
    admin.wait_for_selector("#import-rows tbody tr[data-outcome=create] >> nth=3")
    assert admin.locator("#device-table tbody tr").count() == 0
    assert admin.locator("#import-apply").is_enabled()
    admin.click("#import-apply")
    admin.wait_for_selector('#device-table tr[data-device="SN20003"]')
    assert admin.locator("#device-table tbody tr").count() == 4
    assert admin.locator("#import-apply").is_disabled()

    school = invite(admin, "ivana@school-1.bg", "staff", sites="school-1")
    town_hall = invite(admin, "petar@town-hall.bg", "staff", sites="town-hall")
    invite(admin, "georgi@service.bg", "technician", areas="sofia")

    key_form = admin.locator("#new-key")
    key_form.locator("input[name=name]").fill("bridge-school-1")
    key_form.locator("select[name=role]").select_option("bridge")
    key_form.locator("input[name=sites]").fill("school-1")
    key_form.locator("button[type=submit]").click()
    admin.wait_for_selector('#keys [data-key="bridge-school-1"]')
    bridge_key = key_form.locator(".once input").input_value()
    assert bridge_key.startswith("aedmon_")

    # The stickers of the school's two AEDs, printed to PDF by Chromium and read back.
    admin.fill("#device-filter", "school-1")
    admin.wait_for_function(  # searched on the server, in the devices' sites too
        "() => [...document.querySelectorAll('#device-table tbody tr')].length === 2"
    )
    assert "Town hall" not in admin.locator("#device-table tbody").inner_text()
    with admin.expect_popup() as opened:
        admin.click("#stickers-selected")
    sheet = opened.value
    sheet.wait_for_selector("#sheet[data-count='2']")
    assert sheet.locator(".sticker svg path").count() == 2
    pdf = pypdf.PdfReader(io.BytesIO(sheet.pdf(format="A4")))
    printed = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert "Sign out" not in printed  # the sheet is the stickers alone
    assert len(pdf.pages) == 1
    assert "School No. 1, main hall" in printed
    assert "School No. 1 sports hall" in printed
    assert "Town hall" not in printed
    assert printed.count("112") == 2

    # Each caretaker sees and inspects only their own school's AEDs.
    ivana = accept_and_sign_in(browser, school, "ivana@school-1.bg", "a caretaker's long password")
    ivana.wait_for_selector('[data-device="SN20001"]')
    assert "SN20003" not in ivana.locator("main").inner_text()
    seen = [d["id"] for d in ivana.request.get(f"{server.url}/api/v1/devices").json()]
    assert seen == ["SN20001", "SN20002"]
    csrf = {"X-CSRF-Token": csrf_of(ivana, server.url)}
    body = {"inspector": "Ivana", **CHECKS}
    mine = ivana.request.post(f"{server.url}/api/v1/devices/SN20001/inspections", data=body, headers=csrf)
    assert mine.status == 201
    assert mine.json()["recorded_by"] == "ivana@school-1.bg"
    theirs = ivana.request.post(f"{server.url}/api/v1/devices/SN20003/inspections", data=body, headers=csrf)
    assert theirs.status == 404
    petar = accept_and_sign_in(browser, town_hall, "petar@town-hall.bg", "another caretaker's password")
    assert [d["id"] for d in petar.request.get(f"{server.url}/api/v1/devices").json()] == ["SN20003"]

    # The bridge's key ingests for its school, and a reading for the town hall is refused.
    readings = [
        factories.as_json(factories.selftest(TestResult.PASS, device=device, site=site, at=factories.T0))
        for device, site in (("SN20001", "school-1"), ("SN20003", "town-hall"))
    ]
    answer = httpx.post(
        f"{server.url}/api/v1/ingest",
        json={"readings": readings},
        headers={"Authorization": f"Bearer {bridge_key}"},
    ).json()
    assert [result["status"] for result in answer["results"]] == ["stored", "rejected"]
    admin.reload()
    admin.wait_for_selector('#keys [data-key="bridge-school-1"]')
    assert "never" not in admin.locator('#keys [data-key="bridge-school-1"]').inner_text()


def test_an_administrator_chooses_a_sensors_profile_on_the_device_form_in_their_language(
    server: ServerProcess, browser: Any
) -> None:
    with server.client("admin") as bootstrap:
        made = bootstrap.post(
            "/api/v1/users", json={"email": "maria@pernik.bg", "name": "Maria", "role": "admin"}
        )
        made.raise_for_status()
        sensor = {
            "id": "24e124136b316541",
            "site": "pernik-street",
            "kind": "cabinet",
            "name": "Station cabinet",
        }
        bootstrap.post("/api/v1/devices", json=sensor).raise_for_status()
    admin = accept_and_sign_in(
        browser, made.json()["invite_url"], "maria@pernik.bg", "a municipal passphrase"
    )
    admin.goto(f"{server.url}/admin")
    switch_language(admin, "bg")
    row = admin.locator('#device-table tr[data-device="24e124136b316541"]')
    row.wait_for()
    row.locator("button").first.click()  # edit
    form = admin.locator("#device-form")
    label = form.locator("label", has=admin.locator("input[name=profile]")).inner_text()
    assert "Профил на датчика" in label
    assert "dragino/lds02" in admin.locator("#profiles").inner_html()  # the shipped ones, offered
    form.locator("input[name=profile]").fill("dragino/lds02")
    form.locator("button[type=submit]").click()
    admin.wait_for_function(
        "() => document.querySelector('#device-form output').textContent.trim().length > 0"
    )
    with server.client("admin") as api:
        assert api.get("/api/v1/devices/24e124136b316541").json()["profile"] == "dragino/lds02"
