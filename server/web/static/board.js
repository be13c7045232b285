// The readiness board: reads the devices every few seconds and draws one tile each.
"use strict";
const UI = JSON.parse(document.getElementById("ui").textContent);
const site = document.body.dataset.site;
const params = new URLSearchParams(location.hash.slice(1));
if (params.get("token")) sessionStorage.setItem("aedmon-token", params.get("token"));
const token = sessionStorage.getItem("aedmon-token");
let lang = localStorage.getItem("aedmon-lang") || document.body.dataset.lang;
let devices = [];

function t(key) { return (UI[lang] || UI.en)[key]; }

function text(tag, value, cls) {
  const el = document.createElement(tag);
  el.textContent = value;
  if (cls) el.className = cls;
  return el;
}

function when(iso) {
  if (!iso) return t("never");
  return new Date(iso).toLocaleString(lang, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }) + " UTC";
}

function tile(device) {
  const el = document.createElement("article");
  el.className = "tile " + device.readiness;
  el.dataset.device = device.id;
  el.dataset.readiness = device.readiness;
  const title = document.createElement("h2");
  const link = text("a", device.name || device.id);
  link.href = "/devices/" + encodeURIComponent(device.id);  // the key travels in this tab's session
  title.append(link);
  el.append(title);
  el.append(text("div", t(device.readiness), "state"));
  const facts = document.createElement("dl");
  const rows = [["where", [device.place, device.site].filter(Boolean).join(", ")],
                ["last_check", when(device.last_selftest_at || device.last_seen)]];
  if (device.pads_expiry) rows.push(["pads", device.pads_expiry]);
  if (device.battery_expiry) rows.push(["battery", device.battery_expiry]);
  if (device.lat !== null && device.lon !== null) rows.push(["position", device.lat.toFixed(5) + ", " + device.lon.toFixed(5)]);
  for (const [key, value] of rows) { facts.append(text("dt", t(key)), text("dd", value)); }
  el.append(facts);
  if (device.readiness !== "ready") {
    const reasons = document.createElement("ul");
    for (const reason of device.reasons) reasons.append(text("li", reason));
    el.append(reasons);
  }
  return el;
}

function draw() {
  document.documentElement.lang = lang;
  document.getElementById("title").textContent = t("title") + (site ? " · " + site : "");
  document.title = document.getElementById("title").textContent;
  document.getElementById("language-label").textContent = t("language");
  document.getElementById("updated-label").textContent = t("updated");
  document.getElementById("tiles").replaceChildren(...devices.map(tile));
}

async function refresh() {
  const notice = document.getElementById("notice");
  if (!token) { notice.textContent = t("no_token"); notice.hidden = false; return; }
  try {
    const url = "/api/v1/devices" + (site ? "?site=" + encodeURIComponent(site) : "");
    const answer = await fetch(url, { headers: { Authorization: "Bearer " + token } });
    if (!answer.ok) throw new Error(answer.status);
    devices = (await answer.json()).filter((d) => d.kind !== "bridge");
    notice.hidden = true;
    document.getElementById("updated").textContent = when(new Date().toISOString());
    draw();
  } catch (error) {
    notice.textContent = String(error);
    notice.hidden = false;
  }
}

document.getElementById("lang").value = lang;
document.getElementById("lang").addEventListener("change", (event) => {
  lang = event.target.value;
  localStorage.setItem("aedmon-lang", lang);
  draw();
});
refresh();
setInterval(refresh, 2000);
