// The console's shell: the header, hash routes (#/overview, #/reference/heidi, ...), the live indicator and the
// admin token form of strict auth. Each view is a module with `render(main, scope, arg)`.

import { call, get, onLoginRequired } from "./api.js";
import { h, fill } from "./dom.js";
import { onPollResult, Scope } from "./poll.js";
import * as overview from "./views/overview.js";
import * as reference from "./views/reference.js";
import * as data from "./views/data.js";
import * as requests from "./views/requests.js";
import * as controls from "./views/controls.js";
import * as coverage from "./views/coverage.js";
import * as transcripts from "./views/transcripts.js";

const VIEWS = [
  ["overview", "Overview", overview],
  ["reference", "API reference", reference],
  ["data", "Data", data],
  ["requests", "Requests", requests],
  ["controls", "Controls", controls],
  ["transcripts", "Transcripts", transcripts],
  ["coverage", "Coverage", coverage],
];

const main = document.getElementById("view");
const nav = document.getElementById("nav");
const live = document.getElementById("live");
const serverInfo = document.getElementById("server");
let scope = null;

for (const [name, label] of VIEWS) {
  nav.append(h("a", { href: `#/${name}`, id: `nav-${name}`, dataset: { view: name } }, label));
}

function route() {
  const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  const found = VIEWS.find(([key]) => key === name);
  if (!found) {
    location.replace("#/overview");
    return;
  }
  if (scope) scope.close();
  scope = new Scope();
  for (const link of nav.children) link.classList.toggle("active", link.dataset.view === found[0]);
  document.title = `${found[1]} · mockserver console`;
  main.dataset.view = found[0];
  fill(main);
  const current = scope;
  Promise.resolve(found[2].render(main, current, rest.map(decodeURIComponent))).catch((error) => {
    if (!current.closed) main.append(h("p", { class: "error", role: "alert" }, `Could not show this view: ${error.message}`));
  });
}

onPollResult((ok, error) => {
  live.classList.toggle("down", !ok);
  live.textContent = ok ? "live" : "offline";
  live.title = ok ? "polling the admin API" : `the last poll failed: ${error && error.message}`;
});

// Strict auth: a 401 from the admin API opens this form; POST /_mock/session with the token sets the session
// cookie, and the call that was refused is made again.
const loginDialog = document.getElementById("login");
const loginForm = document.getElementById("login-form");
const loginError = document.getElementById("login-error");
let loginWaiters = [];

onLoginRequired(() => new Promise((resolve) => {
  loginWaiters.push(resolve);
  if (!loginDialog.open) {
    loginError.textContent = "";
    loginDialog.showModal();
    loginForm.elements.token.focus();
  }
}));

loginForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const token = loginForm.elements.token.value;
  const answer = await fetch("/_mock/session", {
    method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token }),
  }).catch((error) => ({ ok: false, status: 0, statusText: error.message }));
  if (!answer.ok) {
    loginError.textContent = answer.status === 401 ? "That is not the admin token." : `The mock answered ${answer.status} ${answer.statusText}`;
    return;
  }
  loginForm.reset();
  loginDialog.close();
  const waiting = loginWaiters;
  loginWaiters = [];
  waiting.forEach((resolve) => resolve());
  showServer();
});
loginDialog.addEventListener("cancel", (event) => event.preventDefault()); // nothing works without the token

document.getElementById("logout").addEventListener("click", async () => {
  await call("DELETE", "/_mock/session").catch(() => {});
  location.reload();
});

async function showServer() {
  try {
    const health = await get("/_mock/health");
    fill(serverInfo, `v${health.version} · auth ${health.auth}`);
    document.getElementById("logout").hidden = health.auth !== "strict";
  } catch {
    fill(serverInfo, "not answering");
  }
}

window.addEventListener("hashchange", route);
showServer();
route();
