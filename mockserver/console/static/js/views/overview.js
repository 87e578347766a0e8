// Overview: what this server runs (GET /_mock/health, /_mock/latency, /_mock/clock) and, per family of the
// OpenAPI document, its base URLs, how to authenticate and tokens to copy (from GET /_mock/state).

import { ADMIN_DOC, get, openapi, optional, VENDOR_DOC } from "../api.js";
import { copyable, dl, fill, h, time } from "../dom.js";
import { familiesOf, howToSend, tokensFor } from "../families.js";

const MISSING = () => h("span", { class: "muted" }, "not reported by this server");

/** The first of `names` that `/_mock/health` reports. */
function reported(health, ...names) {
  for (const name of names) if (health[name] !== undefined && health[name] !== null) return health[name];
  return undefined;
}

function listOrMissing(value, render = (v) => v, none = "none") {
  if (value === undefined) return MISSING();
  if (Array.isArray(value)) {
    if (!value.length) return none;
    return h("span", null, value.map((v, i) => [i ? ", " : "", v === "*" ? "any origin (*)" : render(v)]));
  }
  return render(value);
}

export function latencyText(latency) {
  if (!latency) return "none";
  if (latency.enabled === false) return "none";
  if (typeof latency.description === "string") {
    return latency.min_ms === latency.max_ms ? latency.description : `${latency.description} (random in that range)`;
  }
  if (typeof latency.min_ms === "number" && typeof latency.max_ms === "number") {
    return latency.min_ms === latency.max_ms ? `${latency.min_ms} ms` : `${latency.min_ms}–${latency.max_ms} ms (random)`;
  }
  if (typeof latency.ms === "number") return latency.ms ? `${latency.ms} ms` : "none";
  return JSON.stringify(latency);
}

function authText(auth) {
  if (auth === "open") return "open: any non-empty token is accepted and is its own tenant; the admin API is open";
  if (auth === "strict") return "strict: only the tenants file's tokens; the admin API needs the admin token";
  return String(auth);
}

function dataSetText(health) {
  const value = reported(health, "data_set", "dataset", "fixtures", "state_file");
  if (value === undefined) return MISSING();
  if (value === "" || value === false) return "none (empty start)";
  if (typeof value === "object") return value.name || value.path || JSON.stringify(value);
  return String(value);
}

function storeText(store) {
  if (!store) return MISSING();
  const where = store.kind === "memory" ? "in memory (this process)"
    : store.kind === "redis" ? `in Redis at ${store.location}, shared by every worker, kept across restarts` : String(store.kind);
  const kept = store.snapshot ? `, kept in ${store.snapshot} across restarts` : ", lost on stop";
  return [where, store.kind === "memory" ? kept : "", store.reachable ? "" : h("span", { class: "badge warn" }, "unreachable")];
}

function tokenList(items, auth, anyLabel) {
  const rows = [];
  if (auth === "open") rows.push(h("li", null, h("strong", null, anyLabel)));
  for (const item of items) rows.push(h("li", null, copyable(item.token), " ", h("span", { class: "muted" }, item.note)));
  if (!items.length && auth !== "open") rows.push(h("li", { class: "muted" }, "none listed by this server"));
  return h("ul", { class: "tokens" }, rows);
}

export async function render(main, scope) {
  main.append(h("h1", null, "Overview"));
  const [health, doc, state, latency, clock, listed] = await Promise.all([
    get("/_mock/health"), openapi(VENDOR_DOC), get("/_mock/state"), optional("/_mock/latency"), get("/_mock/clock"),
    optional("/_mock/credentials"),
  ]);
  if (scope.closed) return;
  const auth = health.auth;
  const clockLine = h("span", { id: "overview-clock" });
  const showClock = (c) => fill(clockLine, time(c.now), c.frozen ? h("span", { class: "badge warn" }, "frozen") : "");
  showClock(clock);

  const timing = reported(health, "task_timing");
  main.append(h("section", { class: "card", id: "server-info" },
    h("h2", null, "This server"),
    dl([
      ["Version", health.version],
      ["Auth", authText(auth)],
      ["Families", health.families.join(", ")],
      ["Task timing", timing === undefined ? MISSING() : [
        timing, reported(health, "task_seconds") !== undefined ? ` (${reported(health, "task_seconds")} s from QUEUED to DONE)` : ""]],
      ["Task retention", listOrMissing(reported(health, "task_retention"))],
      ["Data set", dataSetText(health)],
      ["State", storeText(health.store)],
      ["CORS origins (vendor APIs)", listOrMissing(reported(health, "cors_origins"))],
      ["Admin API origins", reported(health, "admin_origins") === undefined ? MISSING()
        : ["this console's origin", ...reported(health, "admin_origins").map((origin) => `, ${origin}`)]],
      ["Latency", latency === null ? MISSING() : latencyText(latency)],
      ["Clock", clockLine],
      ["Documents", h("span", null, h("a", { href: VENDOR_DOC }, VENDOR_DOC), " (vendor APIs), ",
        h("a", { href: ADMIN_DOC }, ADMIN_DOC), " (admin API)")],
    ])));

  const anyLabel = {
    haidy: "any non-empty token (each is its own tenant)",
    heidi: "any API key (each is its own tenant); GET /jwt with any email and third_party_internal_id",
    esteem: "any token: a user of its own practice",
  };
  for (const family of familiesOf(doc)) {
    const schemes = family.schemes.map((scheme) => h("li", null, h("code", null, howToSend(doc, scheme)),
      scheme === "heidiBearer" ? h("span", { class: "muted" }, " (the token of GET /jwt, sent with the API key)") : ""));
    const items = tokensFor(family.name, listed, state, auth);
    const users = family.name === "heidi"
      ? items.flatMap((item) => item.users.map((u) => h("li", null, copyable(u.email), " ", copyable(u.third_party_internal_id),
        h("span", { class: "muted" }, ` API user of ${item.token}`))))
      : [];
    main.append(h("section", { class: "card family", id: `family-${family.name}` },
      h("h2", null, family.title),
      dl([
        ["Base URL (this mock)", h("ul", { class: "urls" }, family.mock.map((url) => h("li", null, copyable(url))))],
        ["Vendor's base URL", h("ul", { class: "urls" }, family.vendor.map((url) => h("li", null, h("code", null, url),
          h("span", { class: "muted" }, " (answered by mockserver.intercept() and the pytest plugin)"))))],
        ["Authenticate", h("ul", null, schemes)],
        ["Tokens", tokenList(items, auth, anyLabel[family.name] || "any token")],
        ...(users.length ? [["Heidi API users", h("ul", { class: "tokens" }, users)]] : []),
      ]),
      h("p", null, h("a", { class: "button", href: `#/reference/${family.name}` }, `Try ${family.name} in the API reference`))));
  }
  scope.every(2000, async () => showClock(await get("/_mock/clock")));
}
