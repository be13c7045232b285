// Signing in, and setting one's password from an invitation (its token in the link's fragment,
// which browsers never send to a server).
"use strict";

function say(form, words, good) {
  const status = form.querySelector("output");
  status.className = "form-status " + (good ? "ok" : "bad");
  status.textContent = words;
}

async function post(path, body) {
  const answer = await fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    credentials: "same-origin",
  });
  let detail = "";
  try { detail = (await answer.json()).detail || ""; } catch (_) { /* no body */ }
  return {
    ok: answer.ok, status: answer.status, detail: typeof detail === "string" ? detail : "",
    secondFactor: answer.headers.get("X-Aedmon-Second-Factor") === "totp",
  };
}

const loginForm = document.getElementById("login-form");
if (loginForm) {
  loginForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = loginForm.elements;
    const body = { email: f.email.value, password: f.password.value };
    if (f.code.value) body.code = f.code.value.trim();
    const answer = await post("/api/v1/auth/login", body);
    if (answer.secondFactor) {  // the password was right: now the code from the app
      document.getElementById("code-field").hidden = false;
      f.code.required = true;
      f.code.focus();
    }
    if (!answer.ok) { say(loginForm, answer.detail || String(answer.status), false); return; }
    sessionStorage.removeItem("aedmon-token");  // from now on the session speaks for this tab
    const next = new URLSearchParams(location.search).get("next");
    location.assign(next && next.startsWith("/") && !next.startsWith("//") ? next : "/board");
  });
}

const inviteForm = document.getElementById("invite-form");
if (inviteForm) {
  const invitation = new URLSearchParams(location.hash.slice(1)).get("token") || "";
  inviteForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = inviteForm.elements;
    if (f.password.value !== f.again.value) { say(inviteForm, t("passwords_differ"), false); return; }
    const answer = await post("/api/v1/auth/invite", { token: invitation, password: f.password.value });
    if (!answer.ok) { say(inviteForm, answer.detail || String(answer.status), false); return; }
    say(inviteForm, t("password_set"), true);
    setTimeout(() => location.assign("/login"), 1500);
  });
}

// One's own account: a new password, and a second factor added or removed.
const passwordForm = document.getElementById("password-form");
if (passwordForm) {
  passwordForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = passwordForm.elements;
    if (f.new.value !== f.again.value) { say(passwordForm, t("passwords_differ"), false); return; }
    try {
      await api("/api/v1/auth/password", { method: "POST", body: JSON.stringify({ current: f.current.value, new: f.new.value }) });
      location.assign("/login");  // every session ends with the old password, this one too
    } catch (error) { say(passwordForm, String(error.message), false); }
  });
}

const factorForm = document.getElementById("factor-form");
let factorOn = false;
async function showFactor() {
  const me = await whoami();
  if (!me || !me.csrf_token) { location.assign("/login?next=/account"); return; }  // a person's page
  showSignOut(me);
  document.getElementById("who").textContent = me.name;
  factorOn = (await api("/api/v1/auth/second-factor")).enabled;
  document.getElementById("factor-state").textContent = t(factorOn ? "second_factor_on" : "second_factor_off");
  const begin = document.getElementById("factor-begin");
  begin.hidden = factorOn;
  document.getElementById("factor-confirm").hidden = !factorOn;
  document.getElementById("factor-submit").hidden = !factorOn;
  document.getElementById("factor-submit").textContent = t(factorOn ? "second_factor_remove" : "confirm");
}
if (factorForm) {
  document.getElementById("factor-begin").addEventListener("click", async () => {
    try {
      const made = await api("/api/v1/auth/second-factor", { method: "POST" });
      const svg = new DOMParser().parseFromString(made.qr_svg, "image/svg+xml").documentElement;
      const code = document.getElementById("factor-code");
      code.replaceChildren(document.importNode(svg, true));
      code.hidden = false;
      const secret = document.getElementById("factor-secret");
      secret.textContent = made.secret;
      secret.hidden = false;
      for (const id of ["factor-confirm", "factor-submit"]) document.getElementById(id).hidden = false;
      document.getElementById("factor-submit").textContent = t("confirm");
    } catch (error) { say(factorForm, String(error.message), false); }
  });
  factorForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const path = factorOn ? "/api/v1/auth/second-factor/remove" : "/api/v1/auth/second-factor/confirm";
    try {
      await api(path, { method: "POST", body: JSON.stringify({ code: factorForm.elements.code.value.trim() }) });
      factorOn = !factorOn;
      for (const id of ["factor-code", "factor-secret"]) document.getElementById(id).hidden = true;
      factorForm.elements.code.value = "";
      say(factorForm, t(factorOn ? "second_factor_on" : "second_factor_off"), true);
      document.getElementById("factor-state").textContent = t(factorOn ? "second_factor_on" : "second_factor_off");
      document.getElementById("factor-begin").hidden = factorOn;
      document.getElementById("factor-submit").textContent = t(factorOn ? "second_factor_remove" : "confirm");
      document.getElementById("factor-confirm").hidden = !factorOn;
      document.getElementById("factor-submit").hidden = !factorOn;
    } catch (error) { say(factorForm, String(error.message), false); }
  });
  wordsReady.then(showFactor);
}

function draw() { drawFrame(t(document.body.dataset.title)); }
bindLanguage(draw);
wordsReady.then(draw);

// The first administrator and the installation, from the setup link the server said at its
// start (its token in the fragment): who they are first, then the installation, then one post.
const setupForm = document.getElementById("setup-form");
if (setupForm) {
  const setupToken = new URLSearchParams(location.hash.slice(1)).get("token") || "";
  const you = document.getElementById("setup-you");
  const place = document.getElementById("setup-installation");
  document.getElementById("setup-next").addEventListener("click", () => {
    const f = setupForm.elements;
    for (const field of [f.name, f.email, f.password, f.again]) {
      if (!field.reportValidity()) return;
    }
    if (f.password.value !== f.again.value) { say(setupForm, t("passwords_differ"), false); return; }
    say(setupForm, "", true);
    you.hidden = true;
    place.hidden = false;
    f.installation.focus();
  });
  setupForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = setupForm.elements;
    const answer = await post("/api/v1/setup", {
      token: setupToken, name: f.name.value, email: f.email.value, password: f.password.value,
      language: document.body.dataset.lang, installation: f.installation.value,
      time_zone: f.time_zone.value.trim(), area: f.area.value.trim(), area_name: f.area_name.value,
    });
    if (!answer.ok) { say(setupForm, answer.detail || String(answer.status), false); return; }
    say(setupForm, t("setup_made"), true);
    setTimeout(() => location.assign("/login"), 1500);
  });
}
