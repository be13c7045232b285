// One device: summary tile, history charts (inline SVG), alerts and inspections.
"use strict";
const id = document.body.dataset.device;
let data = null;

// One chart per series (uPlot, vendored): dates on the x axis in the site's zone and the
// reader's language, values with their unit on the y axis, each value on hover in the legend.
// Self-tests and states are steps (a value holds until the next), measurements a line.
const charts = [];

// Ticks as fine as the span needs: seconds within minutes, hours within days, else days.
function tickStyle(xs) {
  const span = xs[xs.length - 1] - xs[0];
  if (span < 600) return { hour: "2-digit", minute: "2-digit", second: "2-digit" };
  if (span < 2 * 86400) return { hour: "2-digit", minute: "2-digit" };
  return { day: "numeric", month: "short" };
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
  const names = series.levels ? Object.fromEntries(Object.entries(series.levels).map(([k, v]) => [v, k])) : null;
  const say = (value) => value === null || value === undefined ? "–"
    : names ? (names[value] || String(value))
    : value.toLocaleString(lang, { maximumFractionDigits: 2 }) + (series.unit ? " " + series.unit : "");
  const moment = (seconds, style) => new Date(seconds * 1000).toLocaleString(lang, { ...style, timeZone: zone });
  const options = {
    width: Math.max(260, Math.min(1000, (document.getElementById("charts").clientWidth || 720) - 16)),
    height: 180,
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: names ? { range: [-0.2, Math.max(...Object.keys(names).map(Number)) + 0.2] } : {} },
    axes: [
      { space: 90, values: (u, splits) => splits.map((s) => moment(s, tickStyle(xs))) },
      names
        ? { splits: () => Object.keys(names).map(Number), values: (u, splits) => splits.map(say), size: 60 }
        : { values: (u, splits) => splits.map((v) => v.toLocaleString(lang)), size: 50 },
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
  charts.push(new uPlot(options, [xs, ys], box));
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
  inspectionList.replaceChildren(...(inspections.length ? inspections.map(inspectionItem) : [text("li", t("none"))]));
  const year = new Date().toISOString().slice(0, 4);
  document.getElementById("record-link").href =
    `/reports/compliance?from=${year}-01-01&to=${new Date().toISOString().slice(0, 10)}&device_id=${encodeURIComponent(id)}`;
  const qr = document.getElementById("qr-link");
  qr.hidden = !device.public_key;
  if (device.public_key) qr.href = `/d/${encodeURIComponent(id)}?k=${encodeURIComponent(device.public_key)}`;
}

const CHECKS = { status_light_ok: "check_light", pads_sealed_in_date: "check_pads", cabinet_intact: "check_cabinet" };

function inspectionItem(inspection) {
  const item = document.createElement("li");
  item.dataset.inspection = inspection.id;
  const checks = Object.entries(CHECKS).map(([field, label]) => `${inspection[field] ? "✓" : "✗"} ${t(label)}`);
  item.textContent = `${when(inspection.at, zone)} · ${inspection.inspector} (${inspection.recorded_by}) · ${checks.join(", ")}`
    + (inspection.notes ? ` · ${inspection.notes}` : "");
  item.className = Object.keys(CHECKS).every((field) => inspection[field]) ? "ok" : "not-ok";
  return item;
}

// The monthly walk-round: staff or a technician ticks what is in order.
async function bindInspection() {
  const form = document.getElementById("inspection-form");
  if (!(await may("inspect"))) return;
  form.hidden = false;
  form.elements.inspector.value = localStorage.getItem("aedmon-inspector") || "";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = form.elements;
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
  });
}

bindLanguage(draw);
bindInspection();
const refresh = poll(async () => {
  const base = "/api/v1/devices/" + encodeURIComponent(id);
  const [device, series, alerts, inspections] = await Promise.all([
    api(base), api(base + "/series?limit=500"),
    api("/api/v1/alerts?device_id=" + encodeURIComponent(id)), api(base + "/inspections")]);
  data = { device, series, alerts, inspections };
  draw();
}, 5);
