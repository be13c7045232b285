// A printable report: the API's rows as a table; the compliance record's hash chain checked here too.
"use strict";
const kind = document.body.dataset.kind;
const params = new URLSearchParams(location.search);
if (kind === "compliance" || kind === "programme") {  // by default this month so far
  const today = new Date().toISOString().slice(0, 10);
  if (!params.get("to")) params.set("to", today);
  if (!params.get("from")) params.set("from", today.slice(0, 8) + "01");
}
for (const [name, value] of [...params]) if (!value) params.delete(name);
const query = "?" + params.toString();
let rows = [];
let begins = null;  // the day the kept record begins, when the period asked reaches before it

async function sha256(textValue) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(textValue));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// The same rule as server/reports/compliance.py: hash(previous + "\n" + fields joined by \x1f).
async function brokenAt(chained) {
  let previous = "0".repeat(64);
  for (const [index, row] of chained.entries()) {
    const e = row.entry;
    const fields = [e.time, e.device_id, e.site, e.kind, e.result, e.details, e.by].join("\x1f");
    if (row.number !== index + 1 || row.previous !== previous || row.hash !== await sha256(previous + "\n" + fields)) {
      return index + 1;
    }
    previous = row.hash;
  }
  return null;
}

function table(head, body, where = "#rows") {
  const thead = document.querySelector(where + " thead"), tbody = document.querySelector(where + " tbody");
  const tr = document.createElement("tr");
  for (const h of head) tr.append(text("th", h));
  thead.replaceChildren(tr);
  tbody.replaceChildren(...body.map((cells) => {
    const row = document.createElement("tr");
    for (const c of cells) {
      if (c instanceof Node) {  // a bar, drawn by the page
        const cell = document.createElement("td");
        cell.append(c);
        row.append(cell);
      } else {
        row.append(text("td", String(c)));
      }
    }
    return row;
  }));
}

async function draw() {
  drawFrame(t(kind));
  const day = (iso) => new Date(iso + "T12:00:00Z").toLocaleDateString(lang, { dateStyle: "long", timeZone: "UTC" });
  const period = kind === "consumables" ? `${params.get("months") || 12} ${t("months_ahead")}` : `${day(params.get("from"))} – ${day(params.get("to"))}`;
  document.getElementById("scope").textContent =
    [params.get("site") || t("all_sites"), params.get("device_id"), period].filter(Boolean).join(" · ");
  if (kind === "compliance") {
    drawSummary(rows);
    // each moment in its site's zone, the zone named in the heading when all share one (the
    // record keeps UTC, hashed); every value in words, the hash beside it to check
    const zones = [...new Set(rows.map((r) => r.said.time_zone))];
    const one = zones.length <= 1 ? (zones[0] || PAGE_ZONE) : null;
    const moment = (r) => one ? when(r.entry.time, one)
      : new Date(r.entry.time).toLocaleString(lang, { dateStyle: "medium", timeStyle: "short", timeZoneName: "short", timeZone: r.said.time_zone });
    table(["#", one ? `${t("col_time")} (${one})` : t("col_time"), t("col_device"), t("col_kind"), t("col_result"),
      t("col_details"), t("col_by"), "SHA-256"],
      rows.map((r) => [r.number, moment(r), r.entry.device_id, t("entry_" + r.entry.kind), resultSaid(r),
        detailsSaid(r), r.said.inspector || "–", r.hash.slice(0, 16) + "…"]));
    const chain = document.getElementById("chain");
    if (begins) {  // refused rather than printed short: a record with a hole is no record
      chain.textContent = `${t("record_pruned")} ${begins}`;
      chain.className = "chain-bad";
      return;
    }
    const bad = await brokenAt(rows);
    chain.textContent = bad === null ? t("chain_ok") : `${t("chain_bad")} ${bad}`;
    chain.className = bad === null ? "chain-ok" : "chain-bad";
  } else if (kind === "programme") {
    drawProgramme(rows);
  } else {
    // only the months something expires in, and what to order in all
    // each month with a bar as long as what is due in it: pads and batteries, the longest month full
    const due = rows.filter((r) => r.pads || r.batteries);
    const most = Math.max(1, ...due.map((r) => r.pads + r.batteries));
    const month = (iso) => new Date(iso + "-15T12:00:00Z").toLocaleDateString(lang, { month: "long", year: "numeric", timeZone: "UTC" });
    table([t("site"), t("month"), t("pads_to_replace"), t("batteries_to_replace"), "", t("devices")],
      due.map((r) => [r.site, month(r.month), r.pads, r.batteries, dueBar(r.pads, r.batteries, most), r.devices.join(" ")]));
    const pads = rows.reduce((sum, r) => sum + r.pads, 0), batteries = rows.reduce((sum, r) => sum + r.batteries, 0);
    const chain = document.getElementById("chain");
    chain.textContent = `${t("in_all")}: ${t("pads_to_replace")} ${pads} · ${t("batteries_to_replace")} ${batteries}`;
    chain.className = "";
  }
}

// A row of the record in the reader's words: a self-test's result as its level's name, a check
// as in order or not, with what was not.
const LEVEL_OF = { PASS: 0, WARN: 1, FAIL: 2 };
function resultSaid(r) {
  if (r.entry.kind === "selftest") return r.said.result in LEVEL_OF ? t("level.result_level." + LEVEL_OF[r.said.result]) : r.said.result;
  return t("result_" + r.said.result);
}

function detailsSaid(r) {
  const parts = [];
  if (r.said.codes.length) parts.push(`${t("codes")}: ${r.said.codes.join(", ")}`);
  // a check's own keys have words; a programme's checklist item is its own words already
  if (r.said.failed.length) parts.push(r.said.failed.map((what) => `✗ ${UI[lang] && UI[lang][what] ? t(what) : what}`).join(", "));
  if (r.said.notes) parts.push(r.said.notes);
  return parts.join(" · ") || "–";
}

// On top of the record, each device's period at a glance: its self-tests (how many failed),
// its last monthly check and who made it, its shift checks.
function drawSummary(record) {
  const devices = new Map();
  for (const r of record) {
    const d = devices.get(r.entry.device_id) || { site: r.entry.site, tests: 0, failed: 0, last: null, shifts: 0, zone: r.said.time_zone };
    if (r.entry.kind === "selftest") { d.tests += 1; if (r.said.result === "FAIL") d.failed += 1; }
    if (r.entry.kind === "inspection") d.last = r;
    if (r.entry.kind === "shift_check") d.shifts += 1;
    devices.set(r.entry.device_id, d);
  }
  table([t("col_device"), t("site"), t("col_selftests"), t("col_last_inspection"), t("col_shift_checks")],
    [...devices].map(([device, d]) => [device, d.site, `${d.tests} (${d.failed})`,
      d.last ? `${when(d.last.entry.time, d.zone)} · ${d.last.said.inspector} · ${t("result_" + d.last.said.result)}` : t("never"),
      d.shifts]), "#summary");
}

function dueBar(pads, batteries, most) {
  const bar = document.createElement("span");
  bar.className = "due-bar";
  bar.setAttribute("role", "img");
  bar.setAttribute("aria-label", `${t("pads_to_replace")} ${pads}, ${t("batteries_to_replace")} ${batteries}`);
  for (const [count, kind] of [[pads, "pads"], [batteries, "batteries"]]) {
    const part = document.createElement("span");
    part.className = "due-" + kind;
    part.style.width = `${(100 * count) / most}%`;
    bar.append(part);
  }
  return bar;
}

// What the programme achieved: each device's share of time ready as a bar and a number, what
// kept it from being ready (in words, with how long), its monthly checks; then how fast alerts
// were acknowledged and repaired. Every number from the API, every word from the catalogues.
function share(value) {
  if (value === null) return t("no_record");
  return new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 }).format(value);
}

function span(seconds) {
  if (seconds === null) return "–";
  // Intl's own unit names, in the page's language
  const unit = seconds >= 86400 ? "day" : seconds >= 3600 ? "hour" : seconds >= 60 ? "minute" : "second";
  const size = { day: 86400, hour: 3600, minute: 60, second: 1 }[unit];  // a few seconds never "0 minutes"
  return new Intl.NumberFormat(lang, { style: "unit", unit, unitDisplay: "long", maximumFractionDigits: 1 }).format(seconds / size);
}

function bar(value) {
  const meter = document.createElement("meter");
  Object.assign(meter, { min: 0, max: 1, low: 0.9, high: 0.98, optimum: 1, value: value ?? 0 });
  const cell = document.createElement("span");
  cell.className = "share";
  cell.append(meter, " ", share(value));
  return cell;
}

function drawProgramme(report) {
  const causes = (device) => Object.entries(device.downtime_by_cause)
    .sort((a, b) => b[1] - a[1]).map(([key, seconds]) => `${t("reason." + key)}: ${span(seconds)}`).join("; ") || "–";
  const median = (values) => {
    const known = values.filter((v) => v !== null).sort((a, b) => a - b);
    return known.length ? known[Math.floor((known.length - 1) / 2)] : null;
  };
  const usesSaid = (d) => d.rescues.length
    ? `${d.rescues.length} (${span(median(d.rescues.map((r) => r.back_in_service_s)))})` : "–";
  table([t("col_device"), t("site"), t("col_ready"), t("col_downtime"), t("col_checks"), t("col_by"),
    t("col_uses"), t("col_replaced")],
    report.devices.map((d) => [d.name || d.id, d.site_name, bar(d.ready_share), causes(d),
      `${d.checks_done} / ${d.checks_due}`, d.checked_by.join(", ") || "–", usesSaid(d),
      `${d.pads_replaced} / ${d.batteries_replaced}`]));
  // each mobile unit's round: its days on the road, the checks before them, where it stopped
  const units = report.devices.filter((d) => d.unit);
  document.getElementById("units-section").hidden = !units.length;
  const visited = (unit) => {
    const counts = {};
    for (const v of unit.visits) counts[v.community] = (counts[v.community] || 0) + 1;
    return Object.entries(counts).map(([name, n]) => `${name} × ${n}`).join(", ") || "–";
  };
  table([t("col_device"), t("col_days_in_service"), t("col_shifts_checked"), t("col_visits")],
    units.map((d) => [d.name || d.id, d.unit.days_in_service, `${d.unit.shifts_checked} / ${d.unit.days_in_service}`,
      visited(d.unit)]), "#units");
  const rescues = report.devices.reduce((n, d) => n + d.rescues.length, 0);
  const pads = report.devices.reduce((n, d) => n + d.pads_replaced, 0);
  const batteries = report.devices.reduce((n, d) => n + d.batteries_replaced, 0);
  const said = [`${t("col_ready")}: ${share(report.ready_share)}`, `${t("col_uses")}: ${rescues}`,
    `${t("col_replaced")}: ${pads} / ${batteries}`];
  for (const [severity, r] of Object.entries(report.response)) {
    said.push(`${t(severity)}: ${t("to_acknowledge")} ${span(r.time_to_acknowledge_s.median)} (90 %: ${span(r.time_to_acknowledge_s.p90)}), ` +
      `${t("to_repair")} ${span(r.time_to_repair_s.median)} (90 %: ${span(r.time_to_repair_s.p90)})`);
  }
  document.getElementById("chain").textContent = said.join(" · ");
  document.getElementById("chain").className = "";
}

document.getElementById("print").addEventListener("click", () => window.print());

// The scope form: what it shows now, and the sites there are to choose from.
async function bindScope() {
  const form = document.getElementById("scope-form");
  for (const [name, value] of params) if (form.elements[name]) form.elements[name].value = value;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams();
    for (const field of form.elements) if (field.name && field.value) chosen.set(field.name, field.value);
    location.search = chosen.toString();  // the key stays in this tab's session
  });
  const site = form.elements.site;  // the picker's choice ("": every site)
  picker(document.getElementById("scope-site"), (text) => sitesFound(text), (value) => { site.value = value; })
    .set(site.value, site.value);
}
bindScope();
bindLanguage(draw);
poll(async () => {
  const path = "/api/v1/reports/" + kind + query;
  try {
    rows = await api(path);
    begins = null;
  } catch (error) {  // 410: the period reaches before what the compliance period keeps
    const gone = /^410 .*?(\d{4}-\d{2}-\d{2})/.exec(error.message);
    if (!gone) throw error;
    [rows, begins] = [[], gone[1]];
  }
  const csv = document.getElementById("csv");
  csv.href = "#";
  csv.onclick = async (event) => {  // the CSV needs the key too, so it is fetched, not linked
    event.preventDefault();
    const answer = await fetch(`${path}&format=csv&lang=${lang}`, { headers: { Authorization: "Bearer " + token } });
    const url = URL.createObjectURL(await answer.blob());
    const a = Object.assign(document.createElement("a"), { href: url, download: kind + ".csv" });
    a.click();
    URL.revokeObjectURL(url);
  };
  await draw();
}, 60);
