// The readiness board: reads the devices every 2 s and draws one tile each; a search by name
// and a filter by readiness, kept in the address.
"use strict";
const site = document.body.dataset.site;
let devices = [];
const wanted = new URLSearchParams(location.search);
const filters = { q: wanted.get("q") || "", readiness: wanted.get("readiness") || "" };

function tile(device) {
  const el = document.createElement("article");
  el.className = "tile " + device.readiness;
  el.dataset.device = device.id;
  el.dataset.readiness = device.readiness;
  const title = document.createElement("h3");
  const link = text("a", device.name || device.id);
  link.href = "/devices/" + encodeURIComponent(device.id);  // the key travels in this tab's session
  title.append(link);
  el.append(title, text("div", t(device.readiness), "state"));
  const facts = document.createElement("dl");
  const rows = [["where", [device.place, device.site].filter(Boolean).join(", ")],
                ["last_check", when(device.last_selftest_at || device.last_seen, device.time_zone)]];
  if (device.pads_expiry) rows.push(["pads", device.pads_expiry]);
  if (device.battery_expiry) rows.push(["battery", device.battery_expiry]);
  const position = positionOf(device);
  if (position) rows.push(["position", position.map((v) => v.toFixed(5)).join(", ")]);
  for (const [key, value] of rows) facts.append(text("dt", t(key)), text("dd", value));
  el.append(facts);
  if (device.readiness !== "ready") el.append(reasonList(device));
  return el;
}

// Where the devices are: on a map when its tiles can be fetched, else as a list of positions
// (each a geo: link, which a phone opens in its own, perhaps offline, map).
const where = document.getElementById("where");
const COLOURS = { ready: "#1b7f3b", attention: "#b86e00", not_ready: "#b3261e", unknown: "#6b7078" };
let tilesOk = null;  // not yet known
let map = null;
let markers = null;

function positionOf(device) {  // the newest fix, else the registered place
  if (device.located_lat !== null && device.located_lon !== null) return [device.located_lat, device.located_lon];
  if (device.lat !== null && device.lon !== null) return [device.lat, device.lon];
  return null;
}

function tileUrl(template, [lat, lon], zoom) {
  const n = 2 ** zoom;
  const x = Math.floor(((lon + 180) / 360) * n);
  const rad = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n);
  return template.replace("{z}", zoom).replace("{x}", x).replace("{y}", y).replace("{s}", "a");
}

// Whether one tile near `position` loads within a few seconds.
function probeTiles(position) {
  const template = where.dataset.tiles;
  if (!template || typeof L === "undefined") return Promise.resolve(false);
  return new Promise((resolve) => {
    const image = new Image();
    const timer = setTimeout(() => resolve(false), 5000);
    image.onload = () => { clearTimeout(timer); resolve(true); };
    image.onerror = () => { clearTimeout(timer); resolve(false); };
    image.src = tileUrl(template, position, 15);
  });
}

function drawMap(placed) {
  const box = document.getElementById("map");
  box.hidden = false;
  if (!map) {
    map = L.map(box, { scrollWheelZoom: false });
    L.tileLayer(where.dataset.tiles, { attribution: where.dataset.attribution, maxZoom: 19 }).addTo(map);
    markers = L.layerGroup().addTo(map);
    map.fitBounds(L.latLngBounds(placed.map(positionOf)), { padding: [30, 30], maxZoom: 17 });
  }
  markers.clearLayers();
  for (const device of placed) {
    const colour = COLOURS[device.readiness];
    L.circleMarker(positionOf(device), {
      radius: 10, color: "#fff", weight: 2, fillColor: colour, fillOpacity: 1,
      className: `marker marker-${device.readiness}`,
    }).bindTooltip(text("span", `${device.name || device.id}: ${t(device.readiness)}`))  // an element: never HTML
      .on("click", () => { location.href = "/devices/" + encodeURIComponent(device.id); })
      .addTo(markers);
  }
  box.dataset.markers = placed.length;
}

function drawPositions(placed) {
  const list = document.getElementById("positions");
  list.hidden = false;
  list.replaceChildren(...placed.map((device) => {
    const [lat, lon] = positionOf(device);
    const item = document.createElement("li");
    item.dataset.position = device.id;
    item.className = "position " + device.readiness;
    const link = text("a", `${lat.toFixed(5)}, ${lon.toFixed(5)}`);
    link.href = `geo:${lat},${lon}`;
    item.append(text("strong", `${device.name || device.id} · ${t(device.readiness)}`), " ",
      text("span", [device.place, device.site].filter(Boolean).join(", ")), " ", link);
    return item;
  }));
}

function drawWhere() {
  const placed = devices.filter(positionOf);
  where.hidden = !placed.length;
  if (!placed.length) return;
  document.getElementById("where-title").textContent = t(tilesOk ? "map" : "positions");
  if (tilesOk === null) {
    tilesOk = false;  // until the probe says otherwise; tried again every minute while it fails
    probeTiles(positionOf(placed[0])).then((ok) => {
      tilesOk = ok;
      if (!ok) setTimeout(() => { if (!tilesOk) tilesOk = null; }, 60_000);
      drawWhere();
    });
  }
  if (tilesOk) {
    document.getElementById("positions").hidden = true;
    drawMap(placed);
  } else {
    drawPositions(placed);
  }
}

// How many devices are in each state, worst first: "Not ready: 1 · Ready: 4".
const WORST_FIRST = ["not_ready", "unknown", "attention", "ready"];
function countsOf(list) {
  return Object.fromEntries(WORST_FIRST.map((state) => [state, list.filter((d) => d.readiness === state).length]));
}
function said(counts) {
  return WORST_FIRST.filter((state) => counts[state]).map((state) => `${t(state)}: ${counts[state]}`).join(" · ");
}

// The fleet: each site under a heading with its counts (the server's, from one query), worst
// first, with the tiles of only its devices that need something; a site's own board: all of
// its devices. So a fleet of any size is a page of the sites and of what is wrong.
let sites = null;

function siteSection(name, list, counts, label = name) {
  const section = document.createElement("section");
  section.className = "site";
  section.dataset.site = name;
  if (!site) {
    const heading = document.createElement("h2");
    const link = text("a", label);
    link.href = "/board/" + encodeURIComponent(name);
    heading.append(link, " ", text("span", said(counts), "counts"));
    section.append(heading);
  }
  const grid = document.createElement("div");
  grid.className = "grid";
  grid.replaceChildren(...list.map(tile));
  section.append(grid);
  return section;
}

function draw() {
  drawFrame(t("title") + (site ? " · " + site : ""));
  const tiles = document.getElementById("tiles");
  const own = (name) => devices.filter((d) => d.site === name);
  if (site || !sites) {
    tiles.replaceChildren(text("p", said(countsOf(devices)), "summary"),
      ...sitesOf(devices).map((name) => siteSection(name, own(name), countsOf(own(name)))));
  } else {
    // The sites found (by name, or with a device found, or with one in the state asked for),
    // worst first by the server's counts; a site known only by a device found, after them.
    const counted = new Set(sites.map((s) => s.id));
    const shown = sites.filter((s) => s.devices && (!filters.readiness || s.counts[filters.readiness]));
    const sum = (state) => shown.reduce((n, s) => n + s.counts[state], 0);
    const total = Object.fromEntries(WORST_FIRST.map((state) => [state, sum(state)]));
    const others = sitesOf(devices).filter((name) => !counted.has(name));
    const none = searching() && !shown.length && !devices.length;
    tiles.replaceChildren(text("p", none ? t("nothing_found") : said(total), "summary"),
      ...shown.map((s) => siteSection(s.id, own(s.id), s.counts, s.name ? `${s.name} (${s.id})` : s.id)),
      ...others.map((name) => siteSection(name, own(name), countsOf(own(name)))));
  }
  drawWhere();
}

function searching() { return Boolean(filters.q || filters.readiness); }

function bindFilters() {
  const form = document.getElementById("board-filters");
  const f = form.elements;
  f.q.value = filters.q;
  f.readiness.value = filters.readiness;
  let timer = null;
  function changed() {
    filters.q = f.q.value.trim();
    filters.readiness = f.readiness.value;
    keepInAddress(new URLSearchParams(Object.entries(filters).filter(([, value]) => value)));
    changes.now();
    if (reloadNow) reloadNow();
  }
  f.q.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(changed, 300); });
  f.readiness.addEventListener("change", changed);
  form.addEventListener("submit", (event) => { event.preventDefault(); changed(); });
}

// The devices the board asks for: `?site=…&q=…&readiness=…`.
function deviceQuery(extra = {}) {
  const query = new URLSearchParams(extra);
  if (filters.q) query.set("q", filters.q);
  if (filters.readiness) query.set("readiness", filters.readiness);
  return "?" + query;
}

// The 100 worst sites and the first 200 devices that need something: a page, at any fleet size.
const NEEDING = "?readiness=not_ready&readiness=attention&readiness=unknown&limit=200";
// Verdicts and alerts pushed to a signed-in reader; polled every 2 s otherwise.
const changes = pushedChanges(["verdict", "alert"]);

bindLanguage(draw);
bindFilters();
let loads = 0;
poll(async () => {
  if (!changes.due()) return;
  const mine = ++loads;
  let found;
  if (site) {
    found = [null, await lookedAfter(deviceQuery({ site }))];
  } else if (searching()) {
    const named = filters.q ? "&q=" + encodeURIComponent(filters.q) : "";
    found = await Promise.all([api("/api/v1/sites?limit=100" + named), lookedAfter(deviceQuery({ limit: 200 }))]);
  } else {
    found = await Promise.all([api("/api/v1/sites?limit=100"), lookedAfter(NEEDING)]);
  }
  if (mine !== loads) return;  // the search changed meanwhile: a later load draws
  [sites, devices] = found;
  document.getElementById("updated").textContent = when(new Date().toISOString());
  draw();
}, 2);
