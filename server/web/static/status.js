// A municipality's public status page (no sign-in; other sites may frame it): how many of its
// AEDs are ready now, the last 90 days as bars, and each public AED with its state.
"use strict";
const area = document.body.dataset.area;
let status = null;

function percent(value) {
  return new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 }).format(value);
}

function level(share) {
  if (share === null) return "day-none";
  return share >= 0.995 ? "day-full" : share >= 0.9 ? "day-most" : "day-low";
}

function draw() {
  drawFrame(t("status_title"));
  if (!status) return;
  const c = status.counts;
  const usable = c.ready + c.attention, total = c.ready + c.attention + c.not_ready + c.unknown;
  document.getElementById("area-name").textContent = status.name;
  document.getElementById("ready-now").textContent = `${usable} / ${total} ${t("status_ready_now")}`;
  const days = document.getElementById("days");
  days.setAttribute("aria-label", t("status_last_days"));
  days.replaceChildren(...status.days.map((d) => {
    const bar = text("span", "", level(d.ready_share));
    const day = new Date(d.day + "T12:00:00Z").toLocaleDateString(lang, { dateStyle: "medium", timeZone: "UTC" });
    bar.title = `${day}: ${d.ready_share === null ? t("no_record") : percent(d.ready_share)}`;
    return bar;
  }));
  document.getElementById("public-aeds").replaceChildren(...status.public.map((aed) => {
    const item = text("li", "", "public-aed " + aed.readiness);
    item.append(text("strong", aed.name), " ", text("span", aed.place), " ", text("span", t(aed.readiness), "state"));
    return item;
  }));
}

// Each public AED on the map, coloured by its state (the same colours as the board's tiles).
const COLOURS = { ready: "#15803d", attention: "#b45309", not_ready: "#b91c1c", unknown: "#6b7280" };
let map = null, markers = null;
function drawMap() {
  const box = document.getElementById("status-map");
  const placed = status.public.filter((aed) => aed.lat !== null && aed.lon !== null);
  box.hidden = !placed.length || typeof L === "undefined" || !box.dataset.tiles;
  if (box.hidden) return;
  if (!map) {
    map = L.map(box, { scrollWheelZoom: false });
    L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution, maxZoom: 19 }).addTo(map);
    markers = L.layerGroup().addTo(map);
    map.fitBounds(L.latLngBounds(placed.map((aed) => [aed.lat, aed.lon])), { padding: [30, 30], maxZoom: 16 });
  }
  markers.clearLayers();
  for (const aed of placed) {
    L.circleMarker([aed.lat, aed.lon], { radius: 10, color: "#fff", weight: 2, fillColor: COLOURS[aed.readiness],
      fillOpacity: 1, className: `marker marker-${aed.readiness}` })
      .bindTooltip(text("span", `${aed.name}: ${t(aed.readiness)}`)).addTo(markers);
  }
  box.dataset.markers = placed.length;
}

async function load() {
  const answer = await fetch(`/api/v1/public/status/${encodeURIComponent(area)}`);
  if (!answer.ok) {
    const notice = document.getElementById("notice");
    notice.textContent = t("status_no_area");
    notice.hidden = false;
    return;
  }
  status = await answer.json();
  draw();
  drawMap();
}

bindLanguage(() => { draw(); if (status) drawMap(); });
load();
setInterval(load, 60_000);
