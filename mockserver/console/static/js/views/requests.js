// Requests: the journal (GET /_mock/requests) as a live list, polled about once a second; filtered by family,
// method, path and status; one request opens to its headers and bodies, pretty printed. Credentials come masked
// unless "show credentials" asks the admin API for them (?reveal=true).

import { call, get } from "../api.js";
import { errorLine, fill, h, pretty, table, time } from "../dom.js";
import { journal } from "../journal.js";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];

function globToRegExp(glob) {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`);
}

/** A predicate of the filter form's values. */
function filterOf({ family, method, path, status }) {
  const pathTest = !path ? () => true
    : /[*?]/.test(path) ? ((re) => (p) => re.test(p))(globToRegExp(path))
      : (p) => p.includes(path);
  const statusText = status.trim().toLowerCase();
  const statusTest = !statusText ? () => true
    : /^\dxx$/.test(statusText) ? (s) => String(s)[0] === statusText[0]
      : (s) => String(s) === statusText;
  return (entry) => (!family || entry.family === family) && (!method || entry.method === method)
    && pathTest(entry.path) && statusTest(entry.status);
}

function statusClass(status) {
  return `status s${String(status)[0]}xx`;
}

function clockTime(iso) {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return `${at.toLocaleTimeString([], { hour12: false })}.${String(at.getMilliseconds()).padStart(3, "0")}`;
}

function detail(entry) {
  const target = entry.query ? `${entry.path}?${entry.query}` : entry.path;
  return h("article", { class: "request-detail", id: "request-detail", dataset: { id: entry.id } },
    h("h2", null, h("span", { class: "method" }, entry.method), " ", target),
    h("p", null, h("span", { class: statusClass(entry.status) }, entry.status), " ", time(entry.at),
      ` · ${entry.duration_ms} ms · ${entry.family || "no family"}`,
      entry.operation ? [" · operation ", h("code", null, entry.operation)] : "",
      entry.fault ? [" · ", h("span", { class: "badge warn" }, `fault ${entry.fault}`)] : ""),
    h("h3", null, "Request headers"),
    table(["Header", "Value"], Object.entries(entry.request_headers).map(([k, v]) => [k, h("code", null, v)]), { class: "headers" }),
    h("h3", null, "Request body"),
    entry.request_body ? h("pre", { class: "body", id: "request-body" }, pretty(entry.request_body)) : h("p", { class: "muted" }, "empty"),
    h("h3", null, "Response body"),
    entry.response_body ? h("pre", { class: "body", id: "response-body" }, pretty(entry.response_body)) : h("p", { class: "muted" }, "empty"));
}

export async function render(main, scope) {
  const health = await get("/_mock/health");
  const form = h("form", { class: "filters", id: "request-filters" },
    h("label", null, "Family ", h("select", { name: "family" }, h("option", { value: "" }, "all"),
      health.families.map((f) => h("option", { value: f }, f)))),
    h("label", null, "Method ", h("select", { name: "method" }, h("option", { value: "" }, "all"),
      METHODS.map((m) => h("option", { value: m }, m)))),
    h("label", null, "Path ", h("input", { name: "path", placeholder: "/v2/* or part of it", size: 22 })),
    h("label", null, "Status ", h("input", { name: "status", placeholder: "404 or 4xx", size: 7 })),
    h("label", null, h("input", { type: "checkbox", name: "pause" }), " pause"),
    h("label", { title: "GET /_mock/requests?reveal=true" }, h("input", { type: "checkbox", name: "reveal", checked: journal.reveal }), " show credentials"),
    h("button", { type: "button", id: "clear-journal" }, "Clear the journal"));
  const count = h("p", { class: "muted", id: "request-count" });
  const rows = h("tbody", { id: "request-rows" });
  const list = h("table", { class: "requests", id: "requests" },
    h("thead", null, h("tr", null, ["Time", "Family", "Method", "Path", "Status", "ms", ""].map((t) => h("th", null, t)))), rows);
  const side = h("div", { class: "detail-pane" }, h("p", { class: "muted" }, "Select a request to see its headers and bodies."));
  const problem = h("div", { class: "problem" });
  main.append(h("h1", null, "Requests"), form, problem, count, h("div", { class: "split" }, h("div", { class: "list-pane" }, list), side));

  const cache = new Map();
  let selected = null;
  let shownVersion = -1;
  const rowFor = (entry) => {
    let row = cache.get(entry.id);
    if (!row) {
      row = h("tr", { dataset: { id: entry.id }, class: entry.fault ? "faulted" : null, tabindex: 0 },
        h("td", null, clockTime(entry.at)), h("td", null, entry.family), h("td", { class: "method" }, entry.method),
        h("td", { class: "path" }, entry.query ? `${entry.path}?${entry.query}` : entry.path),
        h("td", null, h("span", { class: statusClass(entry.status) }, entry.status)),
        h("td", { class: "num" }, Math.round(entry.duration_ms)),
        h("td", null, entry.fault ? h("span", { class: "badge warn" }, "fault") : ""));
      cache.set(entry.id, row);
    }
    row.classList.toggle("selected", entry.id === selected);
    return row;
  };
  let shownFilter = "";
  const show = () => {
    shownVersion = journal.version;
    const values = Object.fromEntries(new FormData(form));
    shownFilter = JSON.stringify(values);
    const keep = filterOf({ family: values.family, method: values.method, path: values.path || "", status: values.status || "" });
    const visible = journal.entries.filter(keep).reverse();
    fill(rows, visible.map(rowFor));
    fill(count, `${visible.length} of ${journal.entries.length} requests in the journal, newest first`
      + (journal.skipped ? `; ${journal.skipped} not shown: the traffic outran the live view` : ""));
    if (selected !== null && !journal.entries.some((e) => e.id === selected)) {
      selected = null;
      fill(side, h("p", { class: "muted" }, "That request is no longer in the journal."));
    }
  };
  rows.addEventListener("click", (event) => {
    const row = event.target.closest("tr");
    if (!row) return;
    selected = Number(row.dataset.id);
    const entry = journal.entries.find((e) => e.id === selected);
    if (entry) fill(side, detail(entry));
    show();
  });
  rows.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.target.click();
  });
  const onChange = (event) => {
    if (event.target.name === "reveal") {
      journal.reveal = event.target.checked;
      cache.clear();
      selected = null;
      fill(side, h("p", { class: "muted" }, "Select a request to see its headers and bodies."));
      journal.refresh({ force: true }).then(show).catch((error) => fill(problem, errorLine(error.message)));
      return;
    }
    // Only when a filter changed: a field's "change" on blur must not rebuild the list under the click that blurred it.
    if (JSON.stringify(Object.fromEntries(new FormData(form))) !== shownFilter) show();
  };
  form.addEventListener("input", onChange);
  form.addEventListener("change", onChange); // also a field cleared by a script, which fires no input event
  form.addEventListener("submit", (event) => event.preventDefault());
  form.querySelector("#clear-journal").addEventListener("click", async () => {
    try {
      await call("DELETE", "/_mock/requests");
      fill(problem);
      journal.forget();
      cache.clear();
      await journal.refresh({ force: true });
      show();
    } catch (error) {
      fill(problem, errorLine(error.message));
    }
  });
  scope.every(1000, async () => {
    if (form.elements.pause.checked) return;
    await journal.refresh();
    if (journal.version !== shownVersion) show();
  });
}
