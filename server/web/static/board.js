// The readiness board: reads the devices every 2 s and draws one tile each.
"use strict";
const site = document.body.dataset.site;
let devices = [];

function tile(device) {
  const el = document.createElement("article");
  el.className = "tile " + device.readiness;
  el.dataset.device = device.id;
  el.dataset.readiness = device.readiness;
  const title = document.createElement("h2");
  const link = text("a", device.name || device.id);
  link.href = "/devices/" + encodeURIComponent(device.id);  // the key travels in this tab's session
  title.append(link);
  el.append(title, text("div", t(device.readiness), "state"));
  const facts = document.createElement("dl");
  const rows = [["where", [device.place, device.site].filter(Boolean).join(", ")],
                ["last_check", when(device.last_selftest_at || device.last_seen)]];
  if (device.pads_expiry) rows.push(["pads", device.pads_expiry]);
  if (device.battery_expiry) rows.push(["battery", device.battery_expiry]);
  if (device.lat !== null && device.lon !== null) rows.push(["position", device.lat.toFixed(5) + ", " + device.lon.toFixed(5)]);
  for (const [key, value] of rows) facts.append(text("dt", t(key)), text("dd", value));
  el.append(facts);
  if (device.readiness !== "ready") el.append(reasonList(device));
  return el;
}

function draw() {
  drawFrame(t("title") + (site ? " · " + site : ""));
  document.getElementById("tiles").replaceChildren(...devices.map(tile));
}

bindLanguage(draw);
poll(async () => {
  devices = (await api("/api/v1/devices" + (site ? "?site=" + encodeURIComponent(site) : "")))
    .filter((d) => d.kind !== "bridge");
  document.getElementById("updated").textContent = when(new Date().toISOString());
  draw();
}, 2);
