// The administrator's page: devices (add, edit, confirm, retire, place on a map, stickers),
// importing a spreadsheet or an OpenStreetMap export (preview, then apply), people and keys.
// Everything goes through the API, which decides what this person may see and change.
"use strict";

const ROLES = ["admin", "technician", "staff", "viewer", "bridge"];
const listOf = (value) => value.split(",").map((part) => part.trim()).filter(Boolean);
let fleet = [];

function button(key, onClick) {
  const el = text("button", t(key));
  el.type = "button";
  el.dataset.t = key;
  el.addEventListener("click", onClick);
  return el;
}

function cell(value) { return text("td", value === null || value === undefined ? "" : String(value)); }

function fail(form, error) {
  const status = form.querySelector("output");
  status.className = "form-status bad";
  status.textContent = String(error.message || error);
}

// --- devices -----------------------------------------------------------------------------------

const deviceForm = document.getElementById("device-form");
let pickMap = null;
let pickMarker = null;

function placeMarker(lat, lon) {
  if (!pickMap) return;
  if (pickMarker) pickMarker.setLatLng([lat, lon]);
  else pickMarker = L.marker([lat, lon]).addTo(pickMap);
}

// A map to click: where its tiles do not load, the coordinates are typed instead.
function drawPickMap() {
  const box = document.getElementById("pick-map");
  if (pickMap || typeof L === "undefined" || !box.dataset.tiles) return;
  pickMap = L.map(box).setView([42.7, 23.32], 7);
  L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution, maxZoom: 19 }).addTo(pickMap);
  pickMap.on("click", (event) => {
    deviceForm.elements.lat.value = event.latlng.lat.toFixed(6);
    deviceForm.elements.lon.value = event.latlng.lng.toFixed(6);
    placeMarker(event.latlng.lat, event.latlng.lng);
  });
}

function deviceBody(form) {
  const f = form.elements;
  const number = (input) => (input.value === "" ? null : Number(input.value));
  const body = {
    site: f.site.value.trim(),
    kind: f.kind.value,
    name: f.name.value.trim(),
    place: f.place.value.trim(),
    lat: number(f.lat),
    lon: number(f.lon),
    geofence_m: number(f.geofence_m),
    public: f.public.checked,
    indoor: f.indoor.checked,
    level: f.level.value.trim() || null,
    opening_hours: f.opening_hours.value.trim() || null,
    access: f.access.value || null,
    profile: f.profile.value.trim() || null,
  };
  if (f.report_interval_s.value !== "") body.report_interval_s = Number(f.report_interval_s.value);
  if (f.area.value.trim()) body.area = f.area.value.trim();
  return body;
}

function editDevice(device) {
  const f = deviceForm.elements;
  f.editing.value = device.id;
  f.id.value = device.id;
  f.id.readOnly = true;
  for (const name of ["site", "kind", "name", "place", "geofence_m", "report_interval_s", "level", "opening_hours"]) {
    f[name].value = device[name] === null ? "" : device[name];
  }
  f.area.value = device.area || "";
  f.lat.value = device.lat === null ? "" : device.lat;
  f.lon.value = device.lon === null ? "" : device.lon;
  f.access.value = device.access || "";
  f.profile.value = device.profile || "";
  f.public.checked = device.public;
  f.indoor.checked = Boolean(device.indoor);
  document.getElementById("device-form-title").textContent = t("edit") + " " + device.id;
  if (device.lat !== null && device.lon !== null && pickMap) {
    pickMap.setView([device.lat, device.lon], 17);
    placeMarker(device.lat, device.lon);
  }
  deviceForm.scrollIntoView({ block: "start" });
}

deviceForm.addEventListener("reset", () => {
  deviceForm.elements.editing.value = "";
  deviceForm.elements.id.readOnly = false;
  document.getElementById("device-form-title").textContent = t("add_device");
});

deviceForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const editing = deviceForm.elements.editing.value;
  const body = deviceBody(deviceForm);
  const status = deviceForm.querySelector("output");
  const saved = editing
    ? await submit(status, `/api/v1/devices/${encodeURIComponent(editing)}`, "PATCH", body)
    : await submit(status, "/api/v1/devices", "POST", { id: deviceForm.elements.id.value.trim(), ...body });
  if (saved) { deviceForm.reset(); status.textContent = t("saved"); await loadDevices(); }
});

function deviceRow(device) {
  const row = document.createElement("tr");
  row.dataset.device = device.id;
  const pick = document.createElement("input");
  pick.type = "checkbox";
  pick.className = "pick";
  pick.value = device.id;
  pick.setAttribute("aria-label", device.id);
  const first = document.createElement("td");
  first.append(pick);
  const link = text("a", device.id);
  link.href = "/devices/" + encodeURIComponent(device.id);
  const id = document.createElement("td");
  id.append(link);
  const bridge = device.kind === "bridge";
  const state = device.retired_at ? t("retired") : bridge ? bridgeHealth(device)
    : device.confirmed ? t(device.readiness) : t("unconfirmed");
  const actions = document.createElement("td");
  actions.className = "buttons";
  actions.append(button("edit", () => editDevice(device)));
  if (!device.confirmed && !device.retired_at && !bridge) {
    actions.append(button("confirm", () => changeDevice(device, { confirmed: true })));
  }
  if (device.retired_at) actions.append(button("put_back", () => changeDevice(device, { retired: false })));
  else actions.append(button("retire", () => retireDevice(device)));
  const inFeed = cell(device.public && device.lat !== null ? "✓" : "");  // in the open-data feed
  inFeed.className = "open-data";
  const name = bridge ? `${t("bridge_word")}${device.name ? ": " + device.name : ""}` : device.name;
  row.append(first, id, cell(name), cell(device.site), cell(device.area), cell(state), inFeed, actions);
  if (bridge) row.classList.add("bridge");
  return row;
}

// A bridge is no device to confirm: what matters is whether it is heard, and since when.
function bridgeHealth(device) {
  if (!device.last_seen) return t("bridge_never_heard");
  const heard = device.reason_keys.includes("device_silent") ? t("bridge_silent") : t("bridge_heard");
  return `${heard} ${when(device.last_seen, device.time_zone)}`;
}

async function changeDevice(device, body) {
  await api(`/api/v1/devices/${encodeURIComponent(device.id)}`, { method: "PATCH", body: JSON.stringify(body) });
  await loadDevices();
}

async function retireDevice(device) {
  if (!confirm(`${t("retire")}: ${device.name || device.id}?`)) return;
  await api(`/api/v1/devices/${encodeURIComponent(device.id)}`, { method: "DELETE" });
  await loadDevices();
}

// The devices the search finds on the server (in their ids, names, places, sites and areas),
// the first SHOWN of them: a fleet of any size is searched, never loaded whole.
const SHOWN = 200;
function drawDevices() {
  document.querySelector("#device-table tbody").replaceChildren(...fleet.map(deviceRow));
  document.getElementById("devices-more").hidden = fleet.length < SHOWN;
}

let deviceLoads = 0;
async function loadDevices() {
  const query = new URLSearchParams({ limit: SHOWN });
  const wanted = document.getElementById("device-filter").value.trim();
  if (wanted) query.set("q", wanted);
  if (document.getElementById("show-retired").checked) query.set("retired", "true");
  const mine = ++deviceLoads;
  const found = await api("/api/v1/devices?" + query);
  if (mine !== deviceLoads) return;  // typed on meanwhile: a later search draws
  fleet = found;
  drawDevices();
}

let searchTimer = null;
document.getElementById("device-filter").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(loadDevices, 300);
});
document.getElementById("show-retired").addEventListener("change", loadDevices);
document.getElementById("select-all").addEventListener("change", (event) => {
  for (const pick of document.querySelectorAll("#device-table .pick")) pick.checked = event.target.checked;
});
document.getElementById("stickers-selected").addEventListener("click", () => {
  const ids = [...document.querySelectorAll("#device-table .pick:checked")].map((pick) => pick.value);
  const site = document.getElementById("device-filter").value.trim();
  const query = ids.length ? "ids=" + encodeURIComponent(ids.join(",")) : "site=" + encodeURIComponent(site);
  window.open("/stickers?" + query, "_blank", "noopener");
});

// --- import ------------------------------------------------------------------------------------

const importForm = document.getElementById("import-form");
const applyButton = document.getElementById("import-apply");

// The file goes as it is: a spreadsheet as text/csv, an OpenStreetMap export as JSON.
async function sendImport(dryRun) {
  const f = importForm.elements;
  const file = f.file.files[0];
  if (!file) return null;
  const content = await file.text();
  const osm = /\.(geo)?json$/i.test(file.name) || content.trimStart().startsWith("{");
  const params = new URLSearchParams({ dry_run: String(dryRun) });
  if (osm) {
    params.set("site", f.site.value.trim());
    if (f.area.value.trim()) params.set("area", f.area.value.trim());
  }
  const path = (osm ? "/api/v1/devices/import-osm?" : "/api/v1/devices/import?") + params;
  const headers = { "Content-Type": osm ? "application/json" : "text/csv" };
  if (token) headers.Authorization = "Bearer " + token;
  else headers["X-CSRF-Token"] = (await whoami()).csrf_token;
  const answer = await fetch(path, { method: "POST", body: content, headers, credentials: "same-origin" });
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok) {
    const detail = typeof body.detail === "string" ? body.detail
      : (body.detail || []).map((d) => (d.loc || []).slice(1).join(".") + ": " + d.msg).join("; ");
    throw new Error(`${answer.status} ${detail}`.trim());
  }
  return body;
}

function drawImport(result) {
  const table = document.getElementById("import-rows");
  table.hidden = false;
  table.querySelector("tbody").replaceChildren(...result.rows.map((row) => {
    const line = document.createElement("tr");
    line.className = "outcome-" + row.outcome;
    line.dataset.outcome = row.outcome;
    const details = row.error || row.changes.join(", ") || row.ref || "";
    line.append(cell(row.row), cell(row.id || row.ref), cell(t("outcome_" + row.outcome)), cell(details));
    return line;
  }));
  const status = importForm.querySelector("output");
  status.className = "form-status " + (result.counts.error ? "bad" : "ok");
  status.textContent = ["create", "update", "unchanged", "error"]
    .map((outcome) => `${t("outcome_" + outcome)}: ${result.counts[outcome]}`).join(" · ");
}

importForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  applyButton.disabled = true;
  try {
    const result = await sendImport(true);
    if (!result) return;
    drawImport(result);
    applyButton.disabled = !(result.counts.create + result.counts.update);
  } catch (error) { fail(importForm, error); }
});
importForm.elements.file.addEventListener("change", () => { applyButton.disabled = true; });
applyButton.addEventListener("click", async () => {
  applyButton.disabled = true;
  try {
    const result = await sendImport(false);
    if (result) drawImport(result);
    await loadDevices();
  } catch (error) { fail(importForm, error); }
});

// --- people and keys ---------------------------------------------------------------------------

function scopeOf(thing) {
  const parts = [...thing.sites, ...thing.areas.map((area) => t("area") + " " + area)];
  return parts.length ? parts.join(", ") : t("all_sites");
}

function personCard(person) {
  const card = document.createElement("li");
  card.dataset.person = person.email;
  card.append(text("strong", `${person.name} <${person.email}>`));
  card.append(text("p", `${t("role_" + person.role)} · ${scopeOf(person)}`));
  const state = person.disabled_at ? t("disabled") : person.invited ? t("invited") : "";
  if (state) card.append(text("p", state, "hint"));
  const actions = document.createElement("p");
  actions.className = "buttons";
  const path = `/api/v1/users/${person.id}`;
  actions.append(person.disabled_at
    ? button("enable", () => api(path, { method: "PATCH", body: JSON.stringify({ disabled: false }) }).then(loadPeople))
    : button("disable", () => api(path, { method: "DELETE" }).then(loadPeople)));
  card.append(actions);
  return card;
}

function keyCard(key) {
  const card = document.createElement("li");
  card.dataset.key = key.name;
  card.append(text("strong", `${key.name} (${key.prefix}…)`));
  card.append(text("p", `${t("role_" + key.role)} · ${scopeOf(key)}`));
  card.append(text("p", `${t("last_used")}: ${when(key.last_used_at)}`, "hint"));
  if (key.revoked_at) card.append(text("p", `${t("revoked")} ${when(key.revoked_at)}`, "hint"));
  else card.append(button("revoke", () => api(`/api/v1/keys/${key.id}`, { method: "DELETE" }).then(loadKeys)));
  return card;
}

async function loadPeople() {
  const people = await api("/api/v1/users");
  document.getElementById("people").replaceChildren(...people.map(personCard));
}

async function loadKeys() {
  const keys = await api("/api/v1/keys");
  document.getElementById("keys").replaceChildren(...keys.map(keyCard));
}

// A secret shown this once, selected for copying.
function showOnce(form, value) {
  const once = form.querySelector(".once");
  once.hidden = false;
  const input = once.querySelector("input");
  input.value = value;
  input.select();
}

document.getElementById("invite-person").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const f = form.elements;
  const body = {
    email: f.email.value.trim(), name: f.name.value.trim(), role: f.role.value,
    sites: listOf(f.sites.value), areas: listOf(f.areas.value), language: f.language.value,
  };
  const invited = await submit(form.querySelector("output"), "/api/v1/users", "POST", body);
  if (invited) { showOnce(form, invited.invite_url); await loadPeople(); }
});

document.getElementById("new-key").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const f = form.elements;
  const body = { name: f.name.value.trim(), role: f.role.value, sites: listOf(f.sites.value), areas: listOf(f.areas.value) };
  const made = await submit(form.querySelector("output"), "/api/v1/keys", "POST", body);
  if (made) { showOnce(form, made.key); await loadKeys(); }
});

// --- the page ------------------------------------------------------------------------------------

function draw() {
  drawFrame(t("admin"));
  for (const select of document.querySelectorAll("select.roles")) {
    const chosen = select.value || "staff";
    select.replaceChildren(...ROLES.map((role) => {
      const option = text("option", t("role_" + role));
      option.value = role;
      return option;
    }));
    select.value = chosen;
  }
  drawDevices();
}

bindLanguage(draw);
wordsReady.then(() => { draw(); drawPickMap(); });
poll(async () => {
  if (!(await may("administer"))) {
    document.getElementById("not-admin").hidden = false;
    return;
  }
  await Promise.all([loadDevices(), loadPeople(), loadKeys()]);
}, 300);
