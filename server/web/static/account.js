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
  return { ok: answer.ok, status: answer.status, detail: typeof detail === "string" ? detail : "" };
}

const loginForm = document.getElementById("login-form");
if (loginForm) {
  loginForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = loginForm.elements;
    const answer = await post("/api/v1/auth/login", { email: f.email.value, password: f.password.value });
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

function draw() { drawFrame(t(document.body.dataset.title)); }
bindLanguage(draw);
wordsReady.then(draw);
