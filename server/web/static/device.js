// One device, in the order a caretaker needs it: ready or not and why, where it is, its pads'
// and battery dates; then the check they came to make (the monthly one, or a mobile unit's
// before its shift); then alerts, checks done, and the history charts.
"use strict";
const id = document.body.dataset.device;
let data = null;

// One chart per series (uPlot, vendored): dates on the x axis in the site's zone and the
// reader's language, values with their unit on the y axis, each value on hover in the legend.
// Self-tests and states are steps (a value holds until the next), measurements a line.
const charts = [];

// Ticks as fine as the span shown needs: minutes within days, else days. A chart spans an hour
// at least, so one reading's ticks never all say the same second.
const LEAST_SPAN_S = 3600;
function spanned(min, max) {
  const pad = Math.max(0, LEAST_SPAN_S - (max - min)) / 2;
  return [min - pad, max + pad];
}
function tickStyle(span) {
  if (span < 2 * 86400) return { hour: "2-digit", minute: "2-digit" };
  return { day: "numeric", month: "short" };
}

// The axes' font, and how wide a text is in it: a level's name on the y axis is canvas text,
// never wrapped, so the axis is made as wide as the widest (an estimate cut Cyrillic short).
const AXIS_FONT = "12px system-ui, sans-serif";
function widest(words) {
  const context = document.createElement("canvas").getContext("2d");
  context.font = AXIS_FONT;
  return Math.max(...words.map((word) => context.measureText(word).width));
}

function chart(series) {
  const box = document.createElement("figure");
  box.className = "chart";
  box.dataset.key = series.key;
  box.dataset.points = series.points.length;
  box.dataset.steps = String(series.steps);
  const title = series.unit ? `${series.label} (${series.unit})` : series.label;
  box.append(text("h3", title));
  if (!series.points.length) { box.append(text("p", t("none"))); return box; }
  const xs = series.points.map(([at]) => Date.parse(at) / 1000);
  const ys = series.points.map(([, value]) => value);
  // a level's name in the reader's words (never the device's PASS or IN_USE)
  const names = series.level_words || null;
  const say = (value) => value === null || value === undefined ? "–"
    : names ? (names[value] || String(value))
    : value.toLocaleString(lang, { maximumFractionDigits: 2 }) + (series.unit ? " " + series.unit : "");
  const moment = (seconds, style) => new Date(seconds * 1000).toLocaleString(lang, { ...style, timeZone: zone });
  const options = {
    width: Math.max(260, Math.min(1000, (document.getElementById("charts").clientWidth || 720) - 16)),
    height: 180,
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: true },
      y: names ? { range: [-0.2, Math.max(...Object.keys(names).map(Number)) + 0.2] }
        : series.range ? { range: series.range } : {},
    },
    axes: [
      { space: 90, font: AXIS_FONT, values: (u, splits) => splits.map((s) => moment(s, tickStyle(u.scales.x.max - u.scales.x.min))) },
      names
        // as wide as its widest level's name, beside the tick and the gap
        ? { splits: () => Object.keys(names).map(Number), values: (u, splits) => splits.map(say), font: AXIS_FONT,
          size: Math.ceil(widest(Object.values(names)) + 24) }
        : { values: (u, splits) => splits.map((v) => v.toLocaleString(lang)), size: 50, font: AXIS_FONT },
    ],
    series: [
      { label: t("col_time"), value: (u, s) => (s === null ? "–" : moment(s, { dateStyle: "medium", timeStyle: "short" })) },
      {
        label: series.label,
        stroke: "#1d4ed8",
        width: 2,
        points: { show: xs.length < 60, size: 6 },
        paths: series.steps ? uPlot.paths.stepped({ align: 1 }) : undefined,
        value: (u, v) => say(v),
      },
    ],
  };
  if (typeof uPlot === "undefined") { box.append(text("p", `${say(ys[0])} … ${say(ys[ys.length - 1])}`)); return box; }
  const plot = new uPlot(options, [xs, ys], box);
  const [min, max] = spanned(xs[0], xs[xs.length - 1]);
  if (max - min > xs[xs.length - 1] - xs[0]) plot.setScale("x", { min, max });
  charts.push(plot);
  return box;
}

let zone = PAGE_ZONE;  // the device's site's, once it is known

function draw() {
  if (!data) return;
  const { device, series, alerts, inspections } = data;
  zone = device.time_zone || PAGE_ZONE;
  drawFrame(device.name || device.id);
  const tile = text("article", "", "tile " + device.readiness);
  tile.dataset.readiness = device.readiness;
  tile.append(text("div", t(device.readiness), "state"));
  tile.append(reasonList(device));
  tile.append(facts(device));
  if (device.readiness !== "ready") {
    const details = document.createElement("ul");  // for the technician: the rules' own words
    details.className = "details";
    for (const detail of device.reasons) details.append(text("li", detail));
    tile.append(details);
  }
  document.getElementById("summary").replaceChildren(tile);
  // one chart per charted field of the fields table the device has, labelled by the server
  for (const old of charts.splice(0)) old.destroy();
  document.getElementById("charts").replaceChildren(...series.map(chart));
  const alertList = document.getElementById("alerts");
  alertList.replaceChildren(...(alerts.length ? alerts.map((a) => {
    const item = text("li", `${when(a.last_opened_at, zone)} · ${t("state_" + a.state)} · `);
    item.dataset.alert = a.id;
    item.append(text("strong", t("reason." + a.type)), ` — ${a.detail}`);
    return item;
  }) : [text("li", t("none"))]));
  const inspectionList = document.getElementById("inspections");
  inspectionList.replaceChildren(...(inspections.length
    ? inspections.map(({ row, shift }) => (shift ? shiftItem(row) : inspectionItem(row))) : [text("li", t("none"))]));
  const year = new Date().toISOString().slice(0, 4);
  document.getElementById("record-link").href =
    `/reports/compliance?from=${year}-01-01&to=${new Date().toISOString().slice(0, 10)}&device_id=${encodeURIComponent(id)}`;
  const qr = document.getElementById("qr-link");
  qr.hidden = !device.public_key;
  if (device.public_key) qr.href = `/d/${encodeURIComponent(id)}?k=${encodeURIComponent(device.public_key)}`;
}

// Where it is and what it holds: the place, the pads' and battery's dates, the last self-test.
function facts(device) {
  const list = document.createElement("dl");
  list.className = "facts";
  const day = (iso) => new Date(iso + "T12:00:00Z").toLocaleDateString(lang, { dateStyle: "long", timeZone: "UTC" });
  const rows = [
    ["where", [device.place, device.site].filter(Boolean).join(", ")],
    ["pads", device.pads_expiry && day(device.pads_expiry)],
    ["battery", device.battery_expiry && day(device.battery_expiry)],
    ["last_check", device.last_selftest_at && when(device.last_selftest_at, zone)],
  ];
  for (const [key, value] of rows) {
    if (!value) continue;
    const row = document.createElement("div");
    row.dataset.fact = key;
    row.append(text("dt", t(key)), text("dd", value));
    list.append(row);
  }
  return list;
}

// The monthly check's questions (the record's field for each), and a unit's before its shift.
const CHECKS = { status_light_ok: "check_light", pads_sealed_in_date: "check_pads", cabinet_intact: "check_cabinet",
  alarm_ok: "check_alarm" };
const SEEN = { aed_ready: () => t("seen_aed"), o2_ok: () => t("seen_oxygen"), fridge_ok: () => t("seen_fridge") };

function inspectionItem(inspection) {
  const item = document.createElement("li");
  item.dataset.inspection = inspection.id;
  const asked = Object.keys(CHECKS).filter((field) => inspection[field] !== null && inspection[field] !== undefined);
  const checks = asked.map((field) => `${inspection[field] ? "✓" : "✗"} ${t(CHECKS[field])}`);
  item.textContent = `${when(inspection.at, zone)} · ${inspection.inspector} (${inspection.recorded_by}) · ${checks.join(", ")}`
    + (inspection.notes ? ` · ${inspection.notes}` : "");
  item.className = asked.every((field) => inspection[field]) ? "ok" : "not-ok";
  return item;
}

function shiftItem(check) {
  const item = document.createElement("li");
  item.dataset.shiftCheck = check.id;
  const seen = Object.keys(SEEN).map((field) => `${check[field] ? "✓" : "✗"} ${t(field)}`);
  const ticked = Object.entries(check.answers).map(([what, yes]) => `${yes ? "✓" : "✗"} ${what}`);
  const ok = Object.keys(SEEN).every((field) => check[field]) && Object.values(check.answers).every(Boolean);
  item.textContent = `${when(check.at, zone)} · ${t("shift_check")} · ${check.inspector} (${check.recorded_by}) · ${[...seen, ...ticked].join(", ")}`
    + (check.notes ? ` · ${check.notes}` : "");
  item.className = ok ? "ok" : "not-ok";
  return item;
}

// The name a check is recorded under: the signed-in person's, else the last one typed here.
async function checkerName() {
  const me = await whoami();
  if (me && !token && me.name) return me.name;  // a person signed in: the record names them
  return localStorage.getItem("aedmon-inspector") || "";
}

// The monthly walk-round: one tap when all is well; else tick what is, and say what is not.
async function bindInspection() {
  const form = document.getElementById("inspection-form");
  const f = form.elements;
  f.inspector.value = await checkerName();
  const send = async () => {
    if (!form.reportValidity()) return;
    const body = { inspector: f.inspector.value, notes: f.notes.value };
    for (const field of Object.keys(CHECKS)) body[field] = f[field].checked;
    const path = "/api/v1/devices/" + encodeURIComponent(id) + "/inspections";
    if (await submit(form.querySelector("output"), path, "POST", body)) {
      localStorage.setItem("aedmon-inspector", f.inspector.value);
      form.querySelector("output").textContent = t("recorded");
      for (const field of Object.keys(CHECKS)) f[field].checked = false;
      f.notes.value = "";
      await refresh();
    }
  };
  document.getElementById("all-in-order").addEventListener("click", async () => {
    for (const field of Object.keys(CHECKS)) f[field].checked = true;
    await send();
  });
  form.addEventListener("submit", async (event) => { event.preventDefault(); await send(); });
}

// A mobile unit before its shift: what the server sees (said, not asked), the programme's list.
let shift = null;
function drawShift() {
  const form = document.getElementById("shift-form");
  if (!shift) return;
  const number = (value, unit) => new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(value) + " " + unit;
  const said = {
    aed_ready: shift.aed_ready ? "" : shift.aed_reasons.join(", "),
    o2_ok: shift.o2_bar === null ? t("no_readings") : `${number(shift.o2_bar, "bar")} (≥ ${number(shift.o2_min_bar, "bar")})`,
    fridge_ok: shift.fridge_min_c === null ? t("no_readings")
      : `${number(shift.fridge_min_c, "°C")} – ${number(shift.fridge_max_c, "°C")} (${number(shift.fridge_low_c, "°C")} – ${number(shift.fridge_high_c, "°C")}, ${number(shift.fridge_window_h, "h")})`,
  };
  document.getElementById("shift-seen").replaceChildren(...Object.entries(SEEN).map(([field, label]) => {
    const item = text("li", `${shift[field] ? "✓" : "✗"} ${label()}${said[field] ? ": " + said[field] : ""}`, shift[field] ? "ok" : "not-ok");
    item.dataset.seen = field;
    return item;
  }));
  const items = document.getElementById("shift-items");
  if (items.childElementCount !== shift.checklist.length) {
    items.replaceChildren(...shift.checklist.map((what) => {
      const label = text("label", "", "check");
      const box = Object.assign(document.createElement("input"), { type: "checkbox" });
      box.dataset.item = what;
      label.append(box, " ", text("span", what));
      return label;
    }));
  }
  items.hidden = !shift.checklist.length;
  form.hidden = false;
}

async function bindShift() {
  const form = document.getElementById("shift-form");
  const f = form.elements;
  f.inspector.value = await checkerName();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answers = Object.fromEntries([...form.querySelectorAll("[data-item]")].map((box) => [box.dataset.item, box.checked]));
    const body = { inspector: f.inspector.value, notes: f.notes.value, answers };
    const path = "/api/v1/devices/" + encodeURIComponent(id) + "/shift-checks";
    if (await submit(form.querySelector("output"), path, "POST", body)) {
      localStorage.setItem("aedmon-inspector", f.inspector.value);
      form.querySelector("output").textContent = t("recorded");
      f.notes.value = "";
      await refresh();
    }
  });
}

// A mobile unit's communities: circles on the map; an admin taps the map (or types where) to
// place one, names it and adds it, or removes one.
let communityMap = null, circles = null, communities = [];
function drawCommunities() {
  const section = document.getElementById("communities-section");
  section.hidden = false;
  const box = document.getElementById("community-map");
  if (!communityMap && typeof L !== "undefined" && box.dataset.tiles) {
    communityMap = L.map(box).setView([42.7, 23.32], 8);
    L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution, maxZoom: 19 }).addTo(communityMap);
    circles = L.layerGroup().addTo(communityMap);
    communityMap.on("click", (event) => {
      const f = document.getElementById("community-form").elements;
      f.lat.value = event.latlng.lat.toFixed(6);
      f.lon.value = event.latlng.lng.toFixed(6);
    });
  }
  if (circles) {
    circles.clearLayers();
    for (const c of communities) {
      L.circle([c.lat, c.lon], { radius: c.radius_m, color: "#1d4ed8" }).bindTooltip(text("span", c.name)).addTo(circles);
    }
    if (communities.length) communityMap.fitBounds(circles.getLayers().map((layer) => layer.getBounds()).reduce((a, b) => a.extend(b)));
  }
  const list = document.getElementById("communities");
  list.replaceChildren(...(communities.length ? communities.map((c) => {
    const item = text("li", `${c.name} · ${new Intl.NumberFormat(lang).format(c.radius_m)} m `);
    item.dataset.community = c.id;
    if (administering) {
      const remove = text("button", t("remove"));
      remove.type = "button";
      remove.addEventListener("click", async () => {
        await api(`/api/v1/devices/${encodeURIComponent(id)}/communities/${c.id}`, { method: "DELETE" });
        await refresh();
      });
      item.append(remove);
    }
    return item;
  }) : [text("li", t("none"))]));
}

let administering = false;
function bindCommunities() {
  const form = document.getElementById("community-form");
  form.hidden = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = form.elements;
    const body = { name: f.name.value.trim(), lat: Number(f.lat.value), lon: Number(f.lon.value), radius_m: Number(f.radius_m.value) };
    if (await submit(form.querySelector("output"), `/api/v1/devices/${encodeURIComponent(id)}/communities`, "POST", body)) {
      f.name.value = "";
      await refresh();
    }
  });
}

bindLanguage(() => { draw(); drawShift(); if (data && data.device.kind === "mobile_unit") drawCommunities(); });
let bound = false;
const refresh = poll(async () => {
  const base = "/api/v1/devices/" + encodeURIComponent(id);
  const [device, series, alerts, inspections] = await Promise.all([
    api(base), api(base + "/series?limit=500"),
    api("/api/v1/alerts?device_id=" + encodeURIComponent(id)), api(base + "/inspections")]);
  const mobile = device.kind === "mobile_unit";
  const checks = mobile ? await api(base + "/shift-checks") : [];
  data = { device, series, alerts, inspections: [...inspections.map((row) => ({ row })), ...checks.map((row) => ({ row, shift: true }))]
    .sort((a, b) => b.row.at.localeCompare(a.row.at)) };
  const inspecting = await may("inspect");
  if (!bound && inspecting) {  // the check this device asks for, once its kind is known
    bound = true;
    if (mobile) bindShift(); else { bindInspection(); document.getElementById("inspection-form").hidden = false; }
  }
  if (mobile && inspecting) { shift = await api(base + "/shift-check"); drawShift(); }
  draw();
  if (mobile) {
    if (!administering && await may("administer")) { administering = true; bindCommunities(); }
    communities = await api(base + "/communities");
    drawCommunities();
  }
}, 5);
