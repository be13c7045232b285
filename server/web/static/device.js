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
  const [x0, x1] = [Math.min(...xs), Math.max(...xs) || 1];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) { y0 -= 1; y1 += 1; }
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 100 40");
  svg.setAttribute("preserveAspectRatio", "none");
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", points.map(([x, y]) =>
    `${x1 === x0 ? 50 : ((x - x0) / (x1 - x0)) * 100},${40 - ((y - y0) / (y1 - y0)) * 40}`).join(" "));
  svg.append(line);
  box.append(svg, text("p", `${y0} – ${y1}`));
  return box;
}

function series(readings, field) {
  return readings.filter((r) => r[field] !== null && r[field] !== undefined)
    .map((r) => [Date.parse(r.device_time), r[field]]).sort((a, b) => a[0] - b[0]);
}

function draw() {
  if (!data) return;
  const { device, tests, states, alerts, inspections } = data;
  drawFrame(device.name || device.id);
  const tile = text("article", "", "tile " + device.readiness);
  tile.dataset.readiness = device.readiness;
  tile.append(text("div", t(device.readiness), "state"));
  tile.append(reasonList(device));
  const details = document.createElement("ul");  // for the technician: the rules' own words
  details.className = "details";
  for (const detail of device.reasons) details.append(text("li", detail));
  tile.append(details);
  document.getElementById("summary").replaceChildren(tile);
  const level = { PASS: 0, WARN: 1, FAIL: 2 };
  const results = tests.map((r) => [Date.parse(r.device_time), level[r.result]]).sort((a, b) => a[0] - b[0]);
  document.getElementById("charts").replaceChildren(
    chart(t("selftests"), results),
    chart(t("battery_chart"), series(tests, "battery_pct")),
    chart(t("temperature"), series([...tests, ...states], "temp_c")));
  const alertList = document.getElementById("alerts");
  alertList.replaceChildren(...(alerts.length ? alerts.map((a) =>
    text("li", `${a.last_opened_at.slice(0, 16).replace("T", " ")} · ${a.state} · ${a.message}`)) : [text("li", t("none"))]));
  const inspectionList = document.getElementById("inspections");
  inspectionList.replaceChildren(...(inspections.length ? inspections.map((i) =>
    text("li", `${i.at.slice(0, 10)} · ${i.inspector} · ${[i.status_light_ok, i.pads_sealed_in_date, i.cabinet_intact].every(Boolean) ? "✓" : "✗"} ${i.notes}`))
    : [text("li", t("none"))]));
}

bindLanguage(draw);
poll(async () => {
  const base = "/api/v1/devices/" + encodeURIComponent(id);
  const [device, tests, states, alerts, inspections] = await Promise.all([
    api(base), api(base + "/readings?type=selftest&limit=500"), api(base + "/readings?type=status&limit=500"),
    api("/api/v1/alerts?device_id=" + encodeURIComponent(id)), api(base + "/inspections")]);
  data = { device, tests, states, alerts, inspections };
  draw();
}, 5);
