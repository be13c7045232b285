// The technician console: open and acknowledged alerts (most severe, then oldest, first) with
// what to do and what to bring, filtered by site, severity and type, grouped by site if asked,
// a hundred at a time; maintenance windows; contacts. Pickers search: nothing lists the fleet.
"use strict";
const RANK = { critical: 0, major: 1, minor: 2, info: 3 };
// What a technician takes along for an alert of this type: all its own words say to bring
// (a failed self-test's "bring spare pads and a battery", and a loan AED meanwhile).
const BRING = {
  pads_expired: ["bring_pads"], pads_expiring: ["bring_pads"], needs_service: ["bring_pads"],
  battery_low: ["bring_battery"], battery_expired: ["bring_battery"], battery_expiring: ["bring_battery"],
  self_test_failed: ["bring_aed", "bring_pads", "bring_battery"], aed_not_returned: ["bring_aed"],
  sensor_battery_low: ["bring_sensor_battery"], o2_low: ["bring_oxygen"], o2_leak: ["bring_oxygen"],
};
const PAGE = 100;  // alerts shown at first, and more each time they are asked for
let alerts = [];
let summary = null;
let shown = PAGE;
let loads = 0;
let silences = [];
let contacts = [];
let services = [];  // the installation's services (the channels file), without their secrets
const tested = new Map();  // contact id: what each channel answered to "Send a test", kept across redraws
let role = null;

// The filters, kept in the address (so a link or a bookmark opens the same list).
const chosen = new URLSearchParams(location.search);
const filters = {
  site: chosen.get("site") || "", severity: chosen.get("severity") || "", type: chosen.get("type") || "",
  group: chosen.get("group") === "site",
};

function nameOf(alert) { return alert.device_name || alert.device_id; }

function button(label, action) {
  const el = text("button", t(label));
  el.type = "button";
  el.dataset.action = label;
  el.addEventListener("click", async () => {
    el.disabled = true;
    try { await action(); } catch (error) { window.alert(error.message); }
    await refresh();
  });
  return el;
}

// Who was told of the alert, on which channel, and what each channel answered: loaded when opened.
function toldOf(alert) {
  const told = document.createElement("details");
  told.className = "told";
  told.append(text("summary", t("told")));
  const list = document.createElement("ul");
  told.append(list);
  told.addEventListener("toggle", async () => {
    if (!told.open) return;
    const sent = await api(`/api/v1/notifications?alert_id=${alert.id}`);
    list.replaceChildren(...sent.map((n) => {
      const who = (contacts.find((c) => c.id === n.contact_id) || {}).name || `#${n.contact_id}`;
      const tries = (n.tries || []).map((x) => `${x.channel} ${x.error ? "✗ " + x.error : "✓"}`).join("; ");
      return text("li", `${when(n.created_at)} · ${who} · ${n.channel || "—"} · ${tries}`);
    }));
  });
  return told;
}

function card(alert) {
  const el = document.createElement("article");
  el.className = "alert " + alert.severity;
  el.dataset.alert = alert.id;
  el.dataset.state = alert.state;
  el.dataset.type = alert.type;
  const title = document.createElement("h2");
  const link = text("a", nameOf(alert));
  link.href = "/devices/" + encodeURIComponent(alert.device_id);
  title.append(t("reason." + alert.type) + " · ", link);
  el.append(title);
  el.append(text("p", `${t(alert.severity)} · ${[alert.place, alert.site].filter(Boolean).join(", ")}`));
  const todo = t("todo." + alert.type);
  if (todo !== "todo." + alert.type && todo) el.append(text("p", `${t("todo_label")}: ${todo}`, "todo"));
  el.append(text("p", alert.detail, "detail"));
  el.append(text("p", `${t("opened")}: ${when(alert.last_opened_at)}`));
  if (alert.state === "acknowledged") {
    const note = alert.ack_note ? ` — ${alert.ack_note}` : "";
    el.append(text("p", `${t("acknowledged")}: ${alert.acknowledged_by}, ${when(alert.acknowledged_at)}${note}`, "acked"));
  }
  if (!MAY.acknowledge.includes(role)) return el;
  el.append(toldOf(alert));
  const actions = document.createElement("div");
  actions.className = "buttons";
  if (alert.state === "open") {
    const form = document.createElement("form");
    form.className = "ack";
    const input = document.createElement("input");
    input.name = "note";
    input.placeholder = t("note");
    const submitButton = text("button", t("acknowledge"));
    submitButton.type = "submit";
    form.append(input, submitButton);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submitButton.disabled = true;
      const body = JSON.stringify({ note: input.value || null });
      try { await api(`/api/v1/alerts/${alert.id}/ack`, { method: "POST", body }); } catch (error) { window.alert(error.message); }
      input.blur();
      await refresh();
    });
    el.append(form);
  }
  if (alert.type === "reported_problem") {  // no rule clears a passer-by's report
    actions.append(button("resolve", () => api(`/api/v1/alerts/${alert.id}/resolve`, { method: "POST" })));
  }
  if (alert.type === "needs_service") {
    actions.append(button("confirm_service", () =>
      api(`/api/v1/devices/${encodeURIComponent(alert.device_id)}/service`, { method: "POST" })));
  }
  if (actions.childElementCount) el.append(actions);
  return el;
}

// The devices to visit with something in hand: pads ×2 (Reception AED, Gym AED), …
function drawBring() {
  const wanted = {};
  for (const alert of alerts) {
    for (const item of BRING[alert.type] || []) (wanted[item] = wanted[item] || new Set()).add(nameOf(alert));
  }
  const parts = Object.entries(wanted).map(([item, names]) => `${t(item)} ×${names.size} (${[...names].join(", ")})`);
  document.getElementById("bring").textContent = parts.length ? `${t("bring")}: ${parts.join("; ")}` : t("nothing_to_bring");
}

// "Critical: 3 · Major: 5", most severe first, of what `counts` holds.
function severities(counts) {
  return Object.keys(RANK).filter((level) => counts[level]).map((level) => `${t(level)}: ${counts[level]}`).join(" · ");
}

function siteHeading(site) {
  const counted = (summary.sites.find((s) => s.site === site) || { name: "", severities: {} });
  const heading = document.createElement("h3");
  heading.className = "site-heading";
  heading.dataset.site = site;
  const link = text("a", counted.name ? `${counted.name} (${site})` : site);
  link.href = "/board/" + encodeURIComponent(site);
  heading.append(link, " ", text("span", severities(counted.severities), "counts"));
  return heading;
}

function drawAlerts() {
  const list = document.getElementById("alerts");
  if (list.contains(document.activeElement) && document.activeElement.tagName === "INPUT") return;  // typing a note
  drawBring();
  document.getElementById("alert-counts").textContent =
    summary ? `${t("alerts")}: ${summary.total}${summary.total ? " · " + severities(summary.severities) : ""}` : "";
  const items = [];
  alerts.forEach((alert, index) => {
    if (filters.group && (index === 0 || alerts[index - 1].site !== alert.site)) items.push(siteHeading(alert.site));
    items.push(card(alert));
  });
  list.replaceChildren(...(items.length ? items : [text("p", t("no_alerts"))]));
  const more = document.getElementById("more-alerts");
  const total = summary ? summary.total : 0;
  more.hidden = alerts.length >= total || alerts.length >= 1000;  // beyond a thousand: narrow the filters
  more.textContent = `${t("show_more")} (${alerts.length} / ${total})`;
}

function drawSilences() {
  const list = document.getElementById("silences");
  const items = silences.map((silence) => {
    const item = document.createElement("li");
    item.dataset.silence = silence.id;
    const target = silence.device_id ? `${t("device_word")} ${silence.device_name || silence.device_id}`
      : `${t("site_word")} ${silence.site}`;
    item.append(text("strong", target), text("p", silence.reason),
      text("p", `${when(silence.starts_at)} – ${when(silence.ends_at)} · ${t("by")} ${silence.created_by}`));
    if (MAY.acknowledge.includes(role)) {
      item.append(button("end_now", () => api(`/api/v1/silences/${silence.id}`, { method: "DELETE" })));
    }
    return item;
  });
  list.replaceChildren(...(items.length ? items : [text("li", t("no_silences"), "empty")]));
}

// What a maintenance window may cover: the sites and the devices found by their names.
async function targetsFound(text) {
  const [sites, found] = await Promise.all([
    sitesFound(text, "site:", 5), lookedAfter(`?limit=10&q=${encodeURIComponent(text)}`)]);
  return sites.map(({ value, label }) => ({ value, label: `${t("site_word")} ${label}` })).concat(
    found.map((d) => ({ value: `device:${d.id}`, label: `${t("device_word")} ${d.name || d.id} (${d.site})` })));
}

function channels(contact) {
  const parts = [];
  if (contact.webhook_url) {  // the host only: a hook's path often carries its secret
    try { parts.push("webhook " + new URL(contact.webhook_url).host); } catch (_) { parts.push("webhook"); }
  }
  if (contact.email) parts.push(contact.email);
  if (contact.mqtt) parts.push("MQTT");
  return [...(contact.channels || []).map((c) => `${c.service}: ${c.address}`), ...parts].join(", ");
}

function contactState(contact) {  // on holiday, quiet hours
  const parts = [];
  if (contact.paused_until && contact.paused_until > new Date().toISOString().slice(0, 10)) {
    parts.push(`${t("paused_until")} ${contact.paused_until}`);
  }
  if (contact.quiet_hours) parts.push(`${t("quiet_hours")} ${contact.quiet_hours.start}–${contact.quiet_hours.end}`);
  return parts.join(" · ");
}

async function testContact(contact) {
  tested.set(contact.id, null);  // asked: "…" until the answers come
  drawContacts();
  try {
    tested.set(contact.id, await api(`/api/v1/contacts/${contact.id}/test`, { method: "POST" }));
  } catch (error) {
    tested.set(contact.id, error.message);
  }
  drawContacts();
}

function testSaid(contact) {  // the answers of the contact's last test, drawn with its card
  const out = document.createElement("output");
  out.className = "form-status";
  const answers = tested.get(contact.id);
  if (answers === null) out.textContent = "…";
  else if (typeof answers === "string") out.textContent = answers;
  else out.replaceChildren(...answers.map((a) => text("p",
    `${a.channel}: ${a.delivered ? t("test_delivered") : `${t("test_failed")} (${a.error})`}`,
    a.delivered ? "good" : "bad")));
  return out;
}

function drawContacts() {
  const list = document.getElementById("contacts");
  const items = contacts.map((contact) => {
    const item = document.createElement("li");
    item.dataset.contact = contact.id;
    const sites = contact.sites.length ? contact.sites.join(", ") : t("all_sites");
    item.append(text("strong", contact.name),
      text("p", `${sites} · ≥ ${t(contact.min_severity)} · ${contact.language}${contact.escalation ? " · " + t("escalation") : ""}`),
      text("p", channels(contact)));
    const state = contactState(contact);
    if (state) item.append(text("p", state, "hint"));
    if (MAY.administer.includes(role)) {
      const buttons = document.createElement("div");
      buttons.className = "buttons";
      buttons.append(button("edit", async () => editContact(contact)),
        button("send_test", async () => testContact(contact)), button("remove", async () => {
        if (window.confirm(`${t("remove_confirm")} ${contact.name}`)) {
          await api(`/api/v1/contacts/${contact.id}`, { method: "DELETE" });
        }
      }));
      item.append(buttons);
    }
    if (tested.has(contact.id)) item.append(testSaid(contact));
    return item;
  });
  list.replaceChildren(...(items.length ? items : [text("li", t("no_contacts"), "empty")]));
}

function editContact(contact) {
  const form = document.getElementById("contact-form");
  for (const [name, value] of Object.entries(contact)) {
    const field = form.elements.namedItem(name);
    if (!field || name === "channels") continue;
    if (field.type === "checkbox") field.checked = Boolean(value);
    else field.value = Array.isArray(value) ? value.join(", ") : (value ?? "");
  }
  form.elements.channels.value = (contact.channels || []).map((c) => `${c.service}: ${c.address}`).join("\n");
  form.elements.quiet_start.value = contact.quiet_hours ? contact.quiet_hours.start : "";
  form.elements.quiet_end.value = contact.quiet_hours ? contact.quiet_hours.end : "";
  form.dataset.zone = contact.quiet_hours ? contact.quiet_hours.time_zone : "";
  form.scrollIntoView();
}

function drawServices() {
  document.getElementById("services-known").textContent = services.length
    ? services.map((s) => `${s.name} (${t("address_" + s.address)})`).join(", ") : t("no_services");
}

function draw() {
  drawFrame(t("console"));
  drawAlerts();
  drawSilences();
  drawContacts();
  drawServices();
}

function localInput(date) {  // a Date as a datetime-local input's value, in the browser's time
  return new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

function bindFilters() {
  const form = document.getElementById("alert-filters");
  const f = form.elements;
  f.severity.value = filters.severity;
  f.type.value = filters.type;
  f.group.checked = filters.group;
  function changed() {
    const query = new URLSearchParams();
    for (const name of ["site", "severity", "type"]) if (filters[name]) query.set(name, filters[name]);
    if (filters.group) query.set("group", "site");
    keepInAddress(query);
    shown = PAGE;
    refresh();
  }
  const site = picker(f.site, (text) => sitesFound(text), (value) => { filters.site = value; changed(); });
  site.set(filters.site, filters.site);
  f.severity.addEventListener("change", () => { filters.severity = f.severity.value; changed(); });
  f.type.addEventListener("change", () => { filters.type = f.type.value; changed(); });
  f.group.addEventListener("change", () => { filters.group = f.group.checked; changed(); });
  form.addEventListener("submit", (event) => event.preventDefault());
  document.getElementById("more-alerts").addEventListener("click", () => {
    shown = Math.min(shown + PAGE, 1000);
    refresh();
  });
}

// The alerts the filters ask for, open and acknowledged: `&state=…&order=…&site=…`.
function alertQuery() {
  const query = new URLSearchParams([["state", "open"], ["state", "acknowledged"]]);
  for (const name of ["site", "severity", "type"]) if (filters[name]) query.set(name, filters[name]);
  return query;
}

function bindForms() {
  const silenceForm = document.getElementById("silence-form");
  picker(silenceForm.elements.target, targetsFound);  // kept after a window is set: another may follow
  silenceForm.elements.until.value = localInput(new Date(Date.now() + 4 * 3600 * 1000));
  silenceForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = silenceForm.elements;
    if (!f.target.dataset.value) {  // typed, not chosen: say so rather than guess
      const status = silenceForm.querySelector("output");
      status.textContent = t("choose_found");
      status.className = "form-status bad";
      return;
    }
    const [kind, id] = f.target.dataset.value.split(/:(.*)/s);
    const body = { reason: f.reason.value, ends_at: new Date(f.until.value).toISOString(),
                   [kind === "site" ? "site" : "device_id"]: id };
    if (f.starts.value) body.starts_at = new Date(f.starts.value).toISOString();  // empty: now
    if (await submit(silenceForm.querySelector("output"), "/api/v1/silences", "POST", body)) {
      f.reason.value = "";
      f.starts.value = "";
      await refresh();
    }
  });
  const contactForm = document.getElementById("contact-form");
  contactForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = contactForm.elements;
    const body = {
      name: f.name.value, language: f.language.value, min_severity: f.min_severity.value,
      sites: f.sites.value.split(",").map((s) => s.trim()).filter(Boolean),
      webhook_url: f.webhook_url.value || null, email: f.email.value || null,
      mqtt: f.mqtt.checked, escalation: f.escalation.checked,
      channels: f.channels.value.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
        const [service, ...rest] = line.split(":");
        return { service: service.trim(), address: rest.join(":").trim() };
      }),
      paused_until: f.paused_until.value || null,
      quiet_hours: f.quiet_start.value && f.quiet_end.value ? { start: f.quiet_start.value, end: f.quiet_end.value,
        time_zone: contactForm.dataset.zone || Intl.DateTimeFormat().resolvedOptions().timeZone } : null,
    };
    const id = f.id.value;
    const path = id ? `/api/v1/contacts/${id}` : "/api/v1/contacts";
    if (await submit(contactForm.querySelector("output"), path, id ? "PUT" : "POST", body)) {
      contactForm.reset();
      await refresh();
    }
  });
  contactForm.addEventListener("reset", () => {  // a new one next
    contactForm.elements.id.value = "";
    contactForm.dataset.zone = "";
  });
}

// Alerts pushed to a signed-in technician; polled every 2 s otherwise. What the reader does
// (an acknowledgement, a filter) loads at once either way.
const changes = pushedChanges(["alert"]);
async function refresh() {
  changes.now();
  await load();
}

const load = poll(async () => {
  if (!changes.due()) return;
  role = await roleOf();
  const technician = MAY.acknowledge.includes(role);
  const query = alertQuery();
  const mine = ++loads;
  const [listed, counted, windows, people, known] = await Promise.all([
    api(`/api/v1/alerts?${query}&order=${filters.group ? "site" : "worst"}&limit=${shown}`),
    api(`/api/v1/alerts/summary?${query}`),
    api("/api/v1/silences?ended=false"), technician ? api("/api/v1/contacts") : Promise.resolve([]),
    technician ? api("/api/v1/channels/services") : Promise.resolve([])]);
  if (mine !== loads) return;  // the filters changed meanwhile: a later load draws
  alerts = listed;
  summary = counted;
  silences = windows;
  contacts = people;
  services = known;
  document.getElementById("silence-form").hidden = !technician;
  document.getElementById("contacts-section").hidden = !technician;
  document.getElementById("contact-form").hidden = !MAY.administer.includes(role);
  document.getElementById("admin-only").hidden = !technician || MAY.administer.includes(role);
  draw();
}, 2);
bindLanguage(draw);
bindFilters();
bindForms();
