// Controls: fault rules (GET/POST/DELETE /_mock/faults), the clock (GET/POST /_mock/clock) and the global latency
// (GET/PUT /_mock/latency). A refused change shows the admin API's message next to its form; nothing changes.

import { call, get, optional } from "../api.js";
import { errorLine, fill, h, table, time } from "../dom.js";
import { latencyText } from "./overview.js";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];

function number(name, label, props = {}) {
  return h("label", null, label, " ", h("input", { type: "number", name, min: 0, size: 6, ...props }));
}

function headerLines(text) {
  const out = {};
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const at = line.indexOf(":");
    if (at < 1) throw new Error(`"${line.trim()}" is not "Name: value"`);
    out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return out;
}

/** The rule the fault form describes, as POST /_mock/faults takes it: only the fields given. */
function ruleOf(form) {
  const f = form.elements;
  const rule = {};
  const int = (name) => (f[name].value.trim() === "" ? undefined : Number(f[name].value));
  if (f.method.value) rule.method = f.method.value;
  if (f.path.value.trim()) rule.path = f.path.value.trim();
  const headers = headerLines(f.headers.value);
  if (Object.keys(headers).length) rule.headers = headers;
  for (const name of ["after", "status", "retry_after", "latency_ms"]) {
    if (int(name) !== undefined) rule[name] = int(name);
  }
  if (f.always.checked) rule.times = null;
  else if (int("times") !== undefined) rule.times = int("times");
  if (f.body.value.trim()) {
    try {
      rule.body = JSON.parse(f.body.value);
    } catch (error) {
      throw new Error(`body: not JSON (${error.message})`);
    }
  }
  const responseHeaders = headerLines(f.response_headers.value);
  if (Object.keys(responseHeaders).length) rule.response_headers = responseHeaders;
  if (f.drop.value) rule.drop = f.drop.value;
  if (f.task_error.value.trim()) rule.task_error = { error: f.task_error.value.trim(), details: f.task_details.value };
  return rule;
}

function ruleCells(rule) {
  const when = [
    rule.method || "any method", " ", h("code", null, rule.path || "*"),
    ...Object.entries(rule.headers || {}).map(([k, v]) => [" · ", h("code", null, `${k}: ${v}`)]),
    rule.after ? ` · after ${rule.after}` : "",
    rule.times === null || rule.times === undefined ? " · always" : ` · ${rule.times}×`,
  ];
  const effect = [];
  if (rule.status !== null && rule.status !== undefined) effect.push(`status ${rule.status}`);
  if (rule.retry_after !== null && rule.retry_after !== undefined) effect.push(`Retry-After ${rule.retry_after}`);
  if (rule.latency_ms) effect.push(`${rule.latency_ms} ms late`);
  if (rule.drop) effect.push(`drop (${rule.drop})`);
  if (rule.task_error) effect.push(`task fails: ${rule.task_error.error}`);
  if (rule.body !== undefined && rule.body !== null) effect.push(`body ${JSON.stringify(rule.body)}`);
  return [h("code", null, rule.id), h("span", null, when), effect.join(" · ") || "—", `${rule.matched ?? 0} / ${rule.fired ?? 0}`];
}

function faultsSection(scope) {
  const problem = h("div", { class: "problem", id: "fault-error" });
  const preview = h("pre", { class: "preview", id: "fault-preview" });
  const form = h("form", { id: "fault-form", class: "grid-form", novalidate: true },
    h("label", null, "Method ", h("select", { name: "method" }, h("option", { value: "" }, "any"), METHODS.map((m) => h("option", { value: m }, m)))),
    h("label", null, "Path glob ", h("input", { name: "path", placeholder: "*", size: 26 })),
    number("after", "After (let through)"),
    h("div", { class: "inline" }, number("times", "Times", { min: 1, placeholder: "1" }), h("label", { class: "check" }, h("input", { type: "checkbox", name: "always" }), " always")),
    number("status", "Status", { min: 100, max: 599, placeholder: "503" }),
    number("retry_after", "Retry-After (s)"),
    number("latency_ms", "Latency (ms)", { max: 60000 }),
    h("label", null, "Drop ", h("select", { name: "drop" }, h("option", { value: "" }, "no"), h("option", { value: "reset" }, "reset (TCP reset)"), h("option", { value: "cut" }, "cut (body cut short)"))),
    h("label", { class: "wide" }, "Request headers (Name: glob, one a line)", h("textarea", { name: "headers", rows: 2 })),
    h("label", { class: "wide" }, "Response body (JSON; empty: the family's own error)", h("textarea", { name: "body", rows: 2 })),
    h("label", { class: "wide" }, "Response headers (Name: value, one a line)", h("textarea", { name: "response_headers", rows: 2 })),
    h("label", null, "Task error ", h("input", { name: "task_error", placeholder: "Unable to download document", size: 24 })),
    h("label", null, "Task error details ", h("input", { name: "task_details", size: 24 })),
    h("div", { class: "wide" }, h("button", { type: "submit", id: "add-fault" }, "Add the fault rule"), " ",
      h("button", { type: "button", id: "clear-faults" }, "Remove all rules")),
    h("div", { class: "wide" }, h("span", { class: "muted" }, "POST /_mock/faults "), preview),
    h("div", { class: "wide" }, problem));
  const list = h("div", { id: "fault-list" });
  const refresh = async () => {
    const rules = await get("/_mock/faults");
    fill(list, rules.length
      ? table(["Rule", "Matches", "Answer", "matched / fired", ""], rules.map((rule) => {
        const remove = h("button", { type: "button", class: "remove", dataset: { id: rule.id } }, "remove");
        remove.addEventListener("click", async () => {
          try {
            await call("DELETE", `/_mock/faults/${encodeURIComponent(rule.id)}`);
            fill(problem);
          } catch (error) {
            fill(problem, errorLine(error.message));
          }
          await refresh();
        });
        return h("tr", { dataset: { id: rule.id } }, [...ruleCells(rule), remove].map((c) => h("td", null, c)));
      }), { class: "faults" })
      : h("p", { class: "muted" }, "No fault rules: every call gets its normal answer."));
  };
  const showPreview = () => {
    try {
      fill(preview, JSON.stringify(ruleOf(form)));
    } catch (error) {
      fill(preview, error.message);
    }
  };
  form.addEventListener("input", showPreview);
  showPreview();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let rule;
    try {
      rule = ruleOf(form);
    } catch (error) {
      fill(problem, errorLine(error.message));
      return;
    }
    try {
      await call("POST", "/_mock/faults", { json: rule });
      fill(problem);
      form.reset();
      showPreview();
    } catch (error) {
      fill(problem, errorLine(error.message));
    }
    await refresh();
  });
  form.querySelector("#clear-faults").addEventListener("click", async () => {
    await call("DELETE", "/_mock/faults").catch((error) => fill(problem, errorLine(error.message)));
    await refresh();
  });
  scope.every(2000, refresh);
  return h("section", { class: "card", id: "faults" }, h("h2", null, "Fault rules"),
    h("p", { class: "muted" }, "A rule answers matching vendor calls instead of the mock: a status, a late answer, a dropped connection, or a task that fails."),
    list, h("h3", null, "Add a rule"), form);
}

function clockSection(scope) {
  const problem = h("div", { class: "problem", id: "clock-error" });
  const now = h("span", { id: "clock-now" });
  const state = h("span", { id: "clock-state" });
  const show = (clock) => {
    fill(now, time(clock.now));
    fill(state, clock.frozen ? h("span", { class: "badge warn" }, "frozen") : h("span", { class: "badge" }, "running"));
    now.dataset.iso = clock.now;
  };
  const change = async (body) => {
    try {
      show(await call("POST", "/_mock/clock", { json: body }));
      fill(problem);
    } catch (error) {
      fill(problem, errorLine(error.message));
    }
  };
  const freezeAt = h("input", { type: "datetime-local", name: "at", step: 1 });
  const seconds = h("input", { type: "number", name: "seconds", value: "60", size: 8, id: "advance-seconds" });
  const button = (id, label, action) => h("button", { type: "button", id, onclick: action }, label);
  scope.every(1000, async () => show(await get("/_mock/clock")));
  return h("section", { class: "card", id: "clock" }, h("h2", null, "Clock"),
    h("p", { class: "big" }, now, " ", state),
    h("div", { class: "row" },
      h("label", null, "Freeze at ", freezeAt), " ",
      button("freeze", "Freeze", () => change(freezeAt.value ? { freeze: true, at: new Date(freezeAt.value).toISOString() } : { freeze: true })), " ",
      button("unfreeze", "Unfreeze (real time)", () => change({ unfreeze: true }))),
    h("div", { class: "row" },
      h("label", null, "Advance by ", seconds, " s"), " ",
      button("advance", "Advance", () => change({ advance_seconds: Number(seconds.value) })), " ",
      button("advance-hour", "+1 hour", () => change({ advance_seconds: 3600 })), " ",
      button("advance-day", "+1 day", () => change({ advance_seconds: 86400 }))),
    problem);
}

function latencySection(scope) {
  const problem = h("div", { class: "problem", id: "latency-error" });
  const current = h("span", { id: "latency-now" });
  const form = h("form", { id: "latency-form", class: "row", novalidate: true },
    h("label", null, h("input", { type: "radio", name: "mode", value: "off", checked: true }), " none"), " ",
    h("label", null, h("input", { type: "radio", name: "mode", value: "fixed" }), " fixed ",
      h("input", { type: "number", name: "ms", min: 0, size: 6, placeholder: "250" }), " ms"), " ",
    h("label", null, h("input", { type: "radio", name: "mode", value: "range" }), " random from ",
      h("input", { type: "number", name: "min_ms", min: 0, size: 6, placeholder: "100" }), " to ",
      h("input", { type: "number", name: "max_ms", min: 0, size: 6, placeholder: "400" }), " ms"), " ",
    h("button", { type: "submit", id: "set-latency" }, "Set"));
  const section = h("section", { class: "card", id: "latency" }, h("h2", null, "Latency"),
    h("p", { class: "muted" }, "Every vendor answer waits this long, so a frontend shows its spinners (serve --latency 100-400ms)."),
    h("p", null, "Now: ", current), form, problem);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = form.elements;
    const body = f.mode.value === "range" ? { min_ms: Number(f.min_ms.value), max_ms: Number(f.max_ms.value) }
      : { ms: f.mode.value === "fixed" ? Number(f.ms.value) : 0 };
    try {
      const answer = await call("PUT", "/_mock/latency", { json: body });
      fill(problem);
      fill(current, latencyText(answer && typeof answer === "object" ? answer : await get("/_mock/latency")));
    } catch (error) {
      fill(problem, errorLine(error.message));
    }
  });
  scope.every(5000, async () => {
    const latency = await optional("/_mock/latency", undefined);
    if (latency === undefined) {
      fill(current, h("span", { class: "muted" }, "this server has no global latency (GET /_mock/latency answers 404)"));
      form.hidden = true;
    } else {
      fill(current, latencyText(latency));
    }
  });
  return section;
}

export function render(main, scope) {
  main.append(h("h1", null, "Controls"),
    h("div", { class: "columns" }, faultsSection(scope), h("div", null, clockSection(scope), latencySection(scope))));
}
