// Shared by the board, the console and the device page: words, the viewing key, the language.
"use strict";
const UI = JSON.parse(document.getElementById("ui").textContent);
const hashKey = new URLSearchParams(location.hash.slice(1)).get("token");
if (hashKey) sessionStorage.setItem("aedmon-token", hashKey);
const token = sessionStorage.getItem("aedmon-token");
const PAGE_LANG = document.body.dataset.lang;
const PAGE_ZONE = document.body.dataset.zone || "UTC";  // the installation's, for what has no site
let lang = localStorage.getItem("aedmon-lang") || PAGE_LANG;

// The words of one language, from the server's catalogues (the page's own came with it);
// whether they are here.
async function wordsOf(language) {
  if (!UI[language]) {
    const answer = await fetch(`/i18n/${encodeURIComponent(language)}.json`).catch(() => null);
    if (answer && answer.ok) UI[language] = await answer.json();
  }
  return Boolean(UI[language]);
}
const wordsReady = wordsOf(lang).then((here) => { if (!here) lang = PAGE_LANG; });

function t(key) { return (UI[lang] || UI[PAGE_LANG])[key] || key; }

function text(tag, value, cls) {
  const el = document.createElement(tag);
  el.textContent = value;
  if (cls) el.className = cls;
  return el;
}

// A reason in the page's language: what is wrong and what to do; what exactly the rule found
// (dates, codes, distances, said by the server in the same language) is its tooltip.
function reasonItem(key, detail, onIt = null, zone = PAGE_ZONE) {
  const item = document.createElement("li");
  item.dataset.reason = key;
  item.title = detail;
  const what = UI[lang] && UI[lang]["reason." + key];
  if (!what) { item.textContent = detail; return item; }  // a key this page has no words for
  item.append(text("strong", what));
  const todo = t("todo." + key);
  if (todo && todo !== "todo." + key) item.append(" — " + todo);
  if (SAID_ALOUD.has(key)) item.append(text("span", detail, "said"));
  if (onIt) item.append(text("span", `${onIt.by} ${t("on_it_since")} ${when(onIt.since, zone)}`, "said on-it"));
  return item;
}
// Reasons whose detail is news for whoever looks (when a problem was reported, who is on it).
const SAID_ALOUD = new Set(["reported_problem"]);

function reasonList(device) {
  const list = document.createElement("ul");
  list.className = "reasons";
  const onIt = Object.fromEntries((device.on_it || []).map((taken) => [taken.key, taken]));
  device.reasons.forEach((detail, index) => {
    const key = device.reason_keys[index];
    list.append(reasonItem(key, detail, onIt[key], device.time_zone || PAGE_ZONE));
  });
  return list;
}

// A picker that searches: as the reader types, `search(text)` answers up to a few
// [{ value, label }] found by the server, listed under the input to choose by click or by the
// arrow keys and Enter; what is chosen is `input.dataset.value` ("" until one is), and
// `chosen(value)` is told (with "" when the input is emptied); text typed and left unchosen
// gives way to the choice before it. A fleet of any size, never listed.
function picker(input, search, chosen = () => {}) {
  const list = document.createElement("ul");
  list.className = "choices";
  list.id = `${input.id || input.name}-choices`;
  list.setAttribute("role", "listbox");
  list.hidden = true;
  input.after(list);
  input.autocomplete = "off";
  input.dataset.value = "";
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  let asked = 0;
  let timer = null;
  let before = { value: "", label: "" };
  const show = (open) => { list.hidden = !open; input.setAttribute("aria-expanded", String(open)); };
  function choose(value, label) {
    before = { value, label };
    input.dataset.value = value;
    input.value = label;
    show(false);
    chosen(value);
  }
  async function find() {
    const mine = ++asked;
    const wanted = input.value.trim();
    let found = [];
    try { found = await search(wanted); } catch (_) { /* the next keystroke asks again */ }
    if (mine !== asked || document.activeElement !== input) return;  // a later search, or gone
    list.dataset.for = wanted;  // what the choices were found for
    list.replaceChildren(...(found.length ? found.map(({ value, label }) => {
      const item = text("li", label);
      item.setAttribute("role", "option");
      item.dataset.value = value;
      item.addEventListener("mousedown", (event) => { event.preventDefault(); choose(value, label); });
      return item;
    }) : [text("li", t("nothing_found"), "none")]));
    show(true);
  }
  input.addEventListener("input", () => {
    asked++;  // what an earlier search finds is for other text
    input.dataset.value = "";
    if (!input.value && before.value) { before = { value: "", label: "" }; chosen(""); }
    clearTimeout(timer);
    timer = setTimeout(find, 200);
  });
  input.addEventListener("focus", find);
  input.addEventListener("blur", () => {
    asked++;
    show(false);
    if (input.value && !input.dataset.value) { input.value = before.label; input.dataset.value = before.value; }
  });
  input.addEventListener("keydown", (event) => {
    const items = [...list.querySelectorAll("[role=option]")];
    const at = items.findIndex((item) => item.getAttribute("aria-selected") === "true");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (list.hidden || !items.length) return;
      const step = event.key === "ArrowDown" ? 1 : -1;
      const next = at < 0 ? (step > 0 ? 0 : items.length - 1) : (at + step + items.length) % items.length;
      items.forEach((item, index) => item.setAttribute("aria-selected", String(index === next)));
    } else if (event.key === "Enter" && !list.hidden && at >= 0) {
      event.preventDefault();
      choose(items[at].dataset.value, items[at].textContent);
    } else if (event.key === "Escape") {
      show(false);
    }
  });
  return {  // to show a choice made elsewhere (the address, a form's value)
    set(value, label) { before = { value, label }; input.value = label; input.dataset.value = value; },
  };
}

// Sites whose id or name holds `text`: [{ value, label }] for a picker, `prefix` before each value.
async function sitesFound(text, prefix = "", limit = 8) {
  const found = await api(`/api/v1/sites?limit=${limit}&q=${encodeURIComponent(text)}`);
  return found.map((s) => ({ value: prefix + s.id, label: s.name ? `${s.name} (${s.id})` : s.id }));
}

// The devices people look after (a bridge's report on itself is none), and their sites.
async function lookedAfter(query = "") {
  return (await api("/api/v1/devices" + query)).filter((d) => d.kind !== "bridge");
}
function sitesOf(list) { return [...new Set(list.map((d) => d.site))].sort(); }

// A moment in the reader's language and a site's time zone (the installation's by default).
function when(iso, zone = PAGE_ZONE) {
  if (!iso) return t("never");
  return new Date(iso).toLocaleString(lang, { dateStyle: "medium", timeStyle: "short", timeZone: zone });
}

// The API with this tab's key, or else the signed-in person's session cookie (whose changes carry
// the session's CSRF token); a refusal is thrown with the server's own words.
let csrf = null;
async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json" };
  const method = (options.method || "GET").toUpperCase();
  if (token) headers.Authorization = "Bearer " + token;
  else if (method !== "GET") headers["X-CSRF-Token"] = csrf || (csrf = (await whoami()).csrf_token);
  const url = new URL(path, location.origin);
  if (!url.searchParams.has("lang")) url.searchParams.set("lang", lang);  // texts in the reader's language
  const answer = await fetch(url, { ...options, headers, credentials: "same-origin" });
  if (!answer.ok) {
    let detail = "";
    try {
      const body = await answer.json();
      detail = typeof body.detail === "string" ? body.detail
        : (body.detail || []).map((d) => (d.loc || []).slice(1).join(".") + ": " + d.msg).join("; ");
    } catch (_) { /* not JSON: the status says enough */ }
    throw new Error(`${answer.status} ${detail}`.trim());
  }
  return answer.status === 204 ? null : answer.json();
}

// Who this tab speaks for (a key's, or the signed-in person's), asked once; null when neither.
let mePromise = null;
function whoami() {
  if (!mePromise) {
    mePromise = fetch("/api/v1/whoami", {
      headers: token ? { Authorization: "Bearer " + token } : {}, credentials: "same-origin",
    }).then((answer) => (answer.ok ? answer.json() : null), () => null);
  }
  return mePromise;
}

// This tab's key's role: admin, technician, staff, viewer (null without a key); asked once, when
// a page first wants to know.
async function roleOf() {
  const me = await whoami();
  return me ? me.role : null;
}
const MAY = {
  acknowledge: ["technician", "admin"],
  inspect: ["staff", "technician", "admin"],
  administer: ["admin"],
};
async function may(what) { return MAY[what].includes(await roleOf()); }

// Send a form's body to the API; say in `status` whether it went through.
async function submit(status, path, method, body) {
  status.className = "form-status";
  status.textContent = "";
  try {
    const answer = await api(path, { method, body: JSON.stringify(body) });
    status.textContent = t("saved");
    status.classList.add("ok");
    return answer;
  } catch (error) {
    status.textContent = String(error.message);
    status.classList.add("bad");
    return null;
  }
}

// Run `load` now and again `seconds` after each answer (a slow answer never stacks requests
// up), showing why in the notice when it fails. The function returned loads at once.
let reloadNow = null;
function poll(load, seconds) {
  const notice = document.getElementById("notice");
  let timer = null;
  async function once() {
    clearTimeout(timer);
    await wordsReady;
    const me = await whoami();
    if (!me) {  // neither a key in the link nor a session: say how to get in
      const signIn = text("a", t("sign_in"));
      signIn.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      notice.replaceChildren(t("no_token") + " ", signIn);
      notice.hidden = false;
      return;
    }
    showSignOut(me);
    try {
      await load();
      notice.hidden = true;
    } catch (error) {
      notice.textContent = String(error);
      notice.hidden = false;
    } finally {
      clearTimeout(timer);
      timer = setTimeout(once, seconds * 1000);
    }
  }
  once();
  reloadNow = once;
  return once;
}

// A page's filters kept in its address, so that a link or a bookmark opens the same view; the
// key in its fragment stays as it is.
function keepInAddress(query) {
  const said = query.toString();
  history.replaceState(null, "", `${location.pathname}${said ? "?" + said : ""}${location.hash}`);
}

// Pushed changes: a signed-in reader hears of them on the event stream (events of `kinds`) and
// the page loads at once, and otherwise only every 30 s; with a key in the link (which an event
// stream cannot carry), or while the stream is cut, the page polls as it always did, and the
// lists answer 304 (an empty body) while nothing changed. `due()`: whether a load should go now.
function pushedChanges(kinds) {
  const changes = {
    pushed: false,
    last: 0,
    due() {
      if (this.pushed && Date.now() - this.last < 30_000) return false;
      this.last = Date.now();
      return true;
    },
    now() { this.last = 0; },  // the next load goes, pushed or not (the reader changed something)
  };
  if (!token && typeof EventSource !== "undefined") {
    const stream = new EventSource("/api/v1/events");
    stream.onopen = () => { changes.pushed = true; };
    stream.onerror = () => { changes.pushed = false; };  // it reconnects by itself; meanwhile, polling
    for (const kind of kinds) {
      stream.addEventListener(kind, () => { changes.now(); if (reloadNow) reloadNow(); });
    }
  }
  return changes;
}

// The language switch: redraw in the new language and remember it.
function bindLanguage(draw) {
  const select = document.getElementById("lang");
  select.value = lang;
  select.addEventListener("change", async (event) => {
    const wanted = event.target.value;
    if (!(await wordsOf(wanted))) { select.value = lang; return; }
    lang = wanted;  // only once its words are here: a draw in between stays in the old language
    localStorage.setItem("aedmon-lang", lang);
    draw();
    if (reloadNow) reloadNow();  // what the server says in words (reasons, details) comes again
  });
}

// A signed-in person can sign out here; a key in the link has nothing to sign out of.
function showSignOut(me) {
  const button = document.getElementById("sign-out");
  if (me && me.role === "admin") document.getElementById("admin-link").hidden = false;
  if (!button || !me || !me.csrf_token) return;
  document.getElementById("account-link").hidden = false;
  button.hidden = false;
  button.onclick = async () => {
    await api("/api/v1/auth/logout", { method: "POST" }).catch(() => null);
    location.assign("/login");
  };
}

function drawFrame(title) {
  document.documentElement.lang = lang;
  document.getElementById("title").textContent = title;
  document.title = title;
  document.getElementById("language-label").textContent = t("language");
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  for (const el of document.querySelectorAll("[data-placeholder]")) el.placeholder = t(el.dataset.placeholder);
}

// Lists become cards on a phone (board.css): each cell says its column's heading, kept in step
// with the rows drawn and the headings' language.
function labelCells(table) {
  const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
  for (const row of table.querySelectorAll("tbody tr")) {
    [...row.children].forEach((cell, index) => { if (heads[index]) cell.dataset.label = heads[index]; });
  }
}
for (const table of document.querySelectorAll("table.list, table.report-table")) {
  labelCells(table);
  new MutationObserver(() => labelCells(table)).observe(table, { childList: true, subtree: true, characterData: true });
}
