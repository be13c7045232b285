// One device: summary tile, history charts (inline SVG), alerts and inspections.
"use strict";
const id = document.body.dataset.device;
let data = null;

function chart(title, points) {
  const box = document.createElement("figure");
  box.className = "chart";
  box.dataset.points = points.length;
  box.append(text("h3", title));
  if (!points.length) { box.append(text("p", t("none"))); return box; }
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [low, high] = [Math.min(...ys), Math.max(...ys)];
  const [y0, y1] = low === high ? [low - 1, high + 1] : [low, high];  // a flat series sits mid-height
  const at = ([x, y]) => [x1 === x0 ? 50 : ((x - x0) / (x1 - x0)) * 100, 40 - ((y - y0) / (y1 - y0)) * 40];
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 100 40");
  svg.setAttribute("preserveAspectRatio", "none");
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", points.map((p) => at(p).join(",")).join(" "));
  svg.append(line);
  const [lastX, lastY] = at(points[points.length - 1]);  // the newest reading, visible even alone
  const dot = document.createElementNS("http://www.w3.org/2000/svg", "line");
  dot.setAttribute("x1", lastX); dot.setAttribute("x2", lastX); dot.setAttribute("y1", lastY); dot.setAttribute("y2", lastY);
  svg.append(dot);
  const day = (ms) => new Date(ms).toLocaleDateString(lang, { day: "numeric", month: "short", timeZone: zone });
  const range = low === high ? String(low) : `${low} – ${high}`;
  box.append(svg, text("p", `${range} · ${x0 === x1 ? day(x0) : day(x0) + " – " + day(x1)}`));
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
  document.getElementById("charts").replaceChildren(...series.map((s) =>
    chart(s.unit ? `${s.label} (${s.unit})` : s.label, s.points.map(([at, value]) => [Date.parse(at), value]))));
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
