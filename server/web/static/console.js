// The technician console: open and acknowledged alerts, most severe and oldest first.
"use strict";
const RANK = { critical: 0, major: 1, minor: 2, info: 3 };
let alerts = [];
let devices = {};

function card(alert) {
  const device = devices[alert.device_id] || {};
  const el = document.createElement("article");
  el.className = "alert " + alert.severity;
  el.dataset.alert = alert.id;
  el.dataset.state = alert.state;
  const label = t("reason." + alert.type);
  el.append(text("h2", `${label} · ${device.name || alert.device_id}`));
  el.append(text("p", `${t(alert.severity)} · ${[device.place, device.site].filter(Boolean).join(", ")}`));
  el.append(text("p", alert.message));
  el.append(text("p", `${t("opened")}: ${when(alert.last_opened_at)}`));
  if (alert.state === "acknowledged") {
    const note = alert.ack_note ? ` — ${alert.ack_note}` : "";
    el.append(text("p", `${t("acknowledged")}: ${alert.acknowledged_by}, ${when(alert.acknowledged_at)}${note}`, "acked"));
  } else {
    const form = document.createElement("form");
    const input = document.createElement("input");
    input.name = "note";
    input.placeholder = t("note");
    const button = text("button", t("acknowledge"));
    button.type = "submit";
    form.append(input, button);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      button.disabled = true;
      await api(`/api/v1/alerts/${alert.id}/ack`, { method: "POST", body: JSON.stringify({ note: input.value || null }) });
      await refresh();
    });
    el.append(form);
  }
  return el;
}

function draw() {
  drawFrame(t("console"));
  const list = document.getElementById("alerts");
  if (!alerts.length) { list.replaceChildren(text("p", t("no_alerts"))); return; }
  list.replaceChildren(...alerts.map(card));
}

const refresh = poll(async () => {
  const [open, acked, list] = await Promise.all([
    api("/api/v1/alerts?state=open"), api("/api/v1/alerts?state=acknowledged"), api("/api/v1/devices")]);
  devices = Object.fromEntries(list.map((d) => [d.id, d]));
  alerts = [...open, ...acked].sort((a, b) =>
    (RANK[a.severity] - RANK[b.severity]) || a.last_opened_at.localeCompare(b.last_opened_at));
  if (!document.activeElement || document.activeElement.tagName !== "INPUT") draw();
}, 2);
bindLanguage(draw);
