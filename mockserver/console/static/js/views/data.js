// Data: the tenants and, per family, their objects, from GET /_mock/state; the tasks clients started, from the
// journal and GET /_mock/tasks. Export the state to a file, import one (PUT /_mock/state), reset (POST /_mock/reset).
// The state is fetched again when the journal shows new traffic, and every few seconds for admin-side changes;
// a big state (an export costs the server in proportion to the world) is fetched less often.

import { call, optional } from "../api.js";
import { gaugeChart } from "../chart.js";
import { errorLine, fill, h, matches, table, time } from "../dom.js";
import { journal, tasksFrom, withLive } from "../journal.js";

const STATE_EVERY_MS = 5000;
const STATE_AFTER_TRAFFIC_MS = 1000;
/**
 * The state is fetched again no sooner than this many times the last fetch took: an export costs the server in
 * proportion to the world and holds each tenant's lock while it is read, so a console watching a big world (a load
 * test's) takes at most about 1% of the server's time.
 */
const STATE_COST_FACTOR = 100;
const DEEP_LINK_EMAIL = "console@example.com";

function section(title, id, ...content) {
  return h("section", { class: "card", id }, h("h3", null, title), ...content);
}

function empty(text) {
  return h("p", { class: "muted" }, text);
}

function progress(task) {
  const share = task.status === "DONE" ? 100 : Math.max(0, Math.min(100, task.percentage || 0));
  return h("div", {
    class: ["progress", task.status === "FAILED" ? "failed" : task.status === "DONE" ? "done" : "running"],
    role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": share,
    dataset: { status: task.status, task: task.id },
  }, h("div", { class: "progress-fill", style: { width: `${share}%` } }), h("span", null, `${task.status} ${share}%`));
}

function tasksSection(tasks, needle) {
  const shown = tasks.filter((t) => matches(t, needle));
  if (!shown.length) {
    return h("section", { class: "card compact", id: "tasks" }, h("strong", null, "Haidy tasks: "),
      h("span", { class: "muted" }, needle && tasks.length ? "none matches." : "none yet."));
  }
  return section("Haidy tasks", "tasks",
    h("p", { class: "muted" }, "Structuring tasks as the server holds them (GET /_mock/tasks) and as the clients saw them "
      + "(the journal): a realtime task's bar moves with the clock; Polls counts the client's POST /v2/tasks."),
    shown.length
      ? table(["Task", "Started by", "Created", "Progress", "Polls"], shown.map((task) => h("tr", { dataset: { task: task.id } },
        h("td", null, h("code", null, task.id)), h("td", null, task.operation), h("td", null, time(task.created)),
        h("td", { class: "wide-cell" }, progress(task), task.error ? h("small", { class: "error" }, `${task.error.error}: ${task.error.details || ""}`) : ""),
        h("td", { class: "num" }, task.polls))), { class: "tasks" })
      : empty("No task in the journal."));
}

function haidyPart(tenant, haidy, needle) {
  const files = new Map((haidy.files || []).map((file) => [file.id, file]));
  const integration = (haidy.integrations || [])[0];
  const contexts = (haidy.patient_contexts || []).filter((ctx) => matches(ctx, needle)
    || (ctx.file_ids || []).some((id) => files.has(id) && matches(files.get(id).filename, needle)));
  if (needle && !contexts.length) return null;
  const rows = contexts.map((ctx) => {
    const fileLinks = (ctx.file_ids || []).map((id) => {
      const file = files.get(id) || { filename: id, content_type: "" };
      const href = `/_mock/haidy/files/${encodeURIComponent(id)}`;
      return h("li", { dataset: { file: id } }, h("a", { href, target: "_blank", rel: "noopener" }, file.filename), " ",
        h("a", { href, download: file.filename, class: "small" }, "download"),
        h("span", { class: "muted" }, ` ${file.content_type}`));
    });
    const link = integration && `/integration?${new URLSearchParams({ email: DEEP_LINK_EMAIL, integration, unique_id: ctx.external_id })}`;
    return h("tr", { dataset: { id: ctx.id } },
      h("td", { class: "name" }, ctx.name || h("span", { class: "muted" }, "unnamed")),
      h("td", null, h("code", null, ctx.external_id)), h("td", null, h("code", null, ctx.id)),
      h("td", null, ctx.birth_date || ""), h("td", null, ctx.gender || ""), h("td", null, ctx.patient_group),
      h("td", null, fileLinks.length ? h("ul", { class: "files" }, fileLinks) : h("span", { class: "muted" }, "none")),
      h("td", null, link ? h("a", { href: link, target: "_blank", rel: "noopener", class: "deep-link" }, "deep link") : ""));
  });
  return section(`Haidy · ${contexts.length} patient contexts`, `haidy-${tenant}`,
    h("p", { class: "muted" }, `Patient groups ${(haidy.patient_groups || []).join(", ") || "none"} · integrations ${(haidy.integrations || []).join(", ") || "none"}`),
    rows.length ? table(["Name", "External id", "Id", "Born", "Gender", "Group", "Files", "Integration"], rows, { class: "haidy-contexts" })
      : empty("No patient contexts."));
}

const who = (owner) => (owner ? `${owner.email} (${owner.third_party_internal_id})` : "");

/** A session's recordings: how many, how long, and each one's source and status. */
function recordings(audio) {
  if (!audio.length) return h("span", { class: "muted" }, "none");
  const seconds = (entry) => (entry.chunks || []).reduce((sum, chunk) => sum + (chunk.duration || 0), 0);
  const total = audio.reduce((sum, entry) => sum + seconds(entry), 0);
  return h("details", null, h("summary", null, `${audio.length} · ${total.toFixed(1)} s`),
    h("ul", null, audio.map((entry) => h("li", null, `${entry.source} ${entry.status} · ${seconds(entry).toFixed(1)} s · ${(entry.chunks || []).length} chunk(s)`))));
}

/** The session's consult note, as text, with its template and settings; documents counted beside it. */
function consultNote(session) {
  const note = session.consult_note;
  const documents = (session.documents || []).length;
  const extra = documents ? h("span", { class: "muted" }, ` · ${documents} document(s)`) : "";
  if (!note || !note.result) return h("span", { class: "muted" }, "not written", extra);
  return h("details", null, h("summary", null, `${note.heading || "Note"} · ${note.voice_style || ""} · ${note.status}`, extra),
    h("pre", { class: "note-text" }, note.result));
}

function heidiPart(tenant, heidi, needle) {
  const users = (heidi.users || []).filter((u) => matches(u, needle));
  const profiles = (heidi.profiles || []).filter((p) => matches(p, needle));
  const sessions = (heidi.sessions || []).filter((s) => matches(s, needle));
  const accounts = (heidi.accounts || []).filter((a) => matches(a, needle));
  if (needle && !users.length && !profiles.length && !sessions.length && !accounts.length) return null;
  return section(`Heidi · ${profiles.length} profiles, ${sessions.length} sessions`, `heidi-${tenant}`,
    h("h4", null, "API users"),
    users.length ? table(["Email", "third_party_internal_id"], users.map((u) => [u.email, h("code", null, u.third_party_internal_id)]))
      : empty("None."),
    h("h4", null, "Patient profiles"),
    profiles.length ? table(["Name", "Id", "Born", "Gender", "EHR id", "API user"], profiles.map((p) => h("tr", { dataset: { id: p.id } },
      h("td", { class: "name" }, [p.fields.first_name, p.fields.last_name].filter(Boolean).join(" ")),
      h("td", null, h("code", null, p.id)), h("td", null, p.fields.birth_date || ""), h("td", null, p.fields.gender || ""),
      h("td", null, p.fields.ehr_patient_id || ""), h("td", null, who(p.owner)))), { class: "heidi-profiles" })
      : empty("None."),
    h("h4", null, "Sessions"),
    sessions.length ? table(["Name", "Id", "Status", "Patient", "Profile", "Recordings", "Consult note", "Created", "API user"], sessions.map((s) => h("tr", { dataset: { id: s.session_id } },
      h("td", null, s.session_name), h("td", null, h("code", null, s.session_id)),
      h("td", null, [s.session_status, s.recording_status].filter(Boolean).join(" · ")),
      h("td", { class: "name" }, (s.patient && s.patient.name) || ""), h("td", null, s.patient_profile_id ? h("code", null, s.patient_profile_id) : ""),
      h("td", { class: "recordings" }, recordings(s.audio || [])), h("td", { class: "note" }, consultNote(s)),
      h("td", null, time(s.created_at)), h("td", null, who(s.owner)))), { class: "heidi-sessions" })
      : empty("None."),
    h("h4", null, "Linked Heidi accounts"),
    accounts.length ? table(["Email", "third_party_internal_id", "Kinde user", "Linked"], accounts.map((a) =>
      [a.email, a.third_party_internal_id, h("code", null, a.kinde_user_id), time(a.linked_at)]))
      : empty("None."));
}

function esteemPart(tenant, esteem, needle, openCharts) {
  const practices = new Map((esteem.practices || []).map((p) => [p.id, p.name]));
  const gauges = new Map();
  for (const gauge of esteem.gauges || []) {
    if (!gauges.has(gauge.patient_id)) gauges.set(gauge.patient_id, []);
    gauges.get(gauge.patient_id).push(gauge);
  }
  const users = (esteem.users || []).filter((u) => matches(u, needle) || matches(practices.get(u.practice_id), needle));
  const patients = (esteem.patients || []).filter((p) => matches(p, needle) || matches(practices.get(p.practice_id), needle));
  if (needle && !users.length && !patients.length) return null;
  const patientRows = patients.flatMap((p) => {
    const history = gauges.get(p.id) || [];
    const toggle = h("button", { type: "button", class: "chart-toggle", dataset: { patient: p.id }, disabled: !history.length },
      openCharts.has(p.id) ? "hide chart" : `chart (${history.length})`);
    const row = h("tr", { dataset: { id: p.id } },
      h("td", { class: "name" }, `${p.first_name} ${p.last_name}`), h("td", null, h("code", null, p.id)),
      h("td", null, p.date_of_birth), h("td", null, p.gender), h("td", null, practices.get(p.practice_id) || p.practice_id),
      h("td", null, p.active ? "active" : "inactive"), h("td", null, toggle));
    if (!openCharts.has(p.id)) return [row];
    return [row, h("tr", { class: "chart-row", dataset: { chart: p.id } }, h("td", { colspan: 7 }, gaugeChart(history)))];
  });
  return section(`Esteem · ${practices.size} practices, ${users.length} users, ${patients.length} patients`, `esteem-${tenant}`,
    h("h4", null, "Practices"),
    h("p", null, [...practices].map(([id, name], i) => [i ? ", " : "", `${name} (${id})`])),
    h("h4", null, "Users"),
    users.length ? table(["Name", "Role", "Token", "Practice", "Patients (assigned)"], users.map((u) => [
      u.name || "", h("span", { class: `badge role-${u.role}` }, u.role), h("code", null, u.token),
      practices.get(u.practice_id) || u.practice_id, (u.patient_ids || []).join(", ")]), { class: "esteem-users" })
      : empty("None."),
    h("h4", null, "Patients"),
    patientRows.length ? table(["Name", "Id", "Born", "Gender", "Practice", "", "Gauges"], patientRows, { class: "esteem-patients" })
      : empty("None."));
}

function download(text) {
  const stamp = new Date().toISOString().replace(/[:]/g, "").replace(/\..*/, "");
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const link = h("a", { href: url, download: `mockserver-state-${stamp}.json`, class: "offscreen" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export async function render(main, scope) {
  const problem = h("div", { class: "problem", id: "state-error" });
  const notice = h("span", { class: "muted", id: "state-notice" });
  const pace = h("p", { class: "muted small", id: "state-pace" });
  const busyNote = h("span", { class: "muted small", id: "state-busy" });
  const search = h("input", { type: "search", id: "search", placeholder: "Search by name or id", size: 32 });
  const fileInput = h("input", { type: "file", id: "import-file", accept: "application/json,.json" });
  const tasksHolder = h("div", { id: "tasks-holder" });
  const tenantsHolder = h("div", { id: "tenants" });
  const openCharts = new Set();
  let stateText = null;
  let state = null;
  let stateAt = 0;
  let stateCost = 0;
  let stateTag = null;
  let journalSeen = -1;
  let lastEntry = 0;
  let changes = false;
  let live = [];
  let liveText = "[]";

  const drawTasks = () => fill(tasksHolder,
    tasksSection(withLive(tasksFrom(journal.entries), live), search.value.trim().toLowerCase()));
  const draw = () => {
    searched = search.value;
    const needle = search.value.trim().toLowerCase();
    drawTasks();
    const tenants = Object.entries((state && state.tenants) || {});
    const parts = tenants.map(([tenant, families]) => {
      const inner = [
        families.haidy && haidyPart(tenant, families.haidy, matches(tenant, needle) ? "" : needle),
        families.heidi && heidiPart(tenant, families.heidi, matches(tenant, needle) ? "" : needle),
        families.esteem && esteemPart(tenant, families.esteem, matches(tenant, needle) ? "" : needle, openCharts),
      ].filter(Boolean);
      if (!inner.length) return null;
      return h("section", { class: "tenant", dataset: { tenant } },
        h("h2", null, "Tenant ", h("code", null, tenant), h("span", { class: "muted" }, ` · ${Object.keys(families).join(", ")}`)), inner);
    }).filter(Boolean);
    fill(tenantsHolder, parts.length ? parts : empty(needle ? "Nothing matches." : "No data: the mock is empty."));
  };

  const loadState = async () => {
    const asked = Date.now();
    const response = await call("GET", "/_mock/state", { raw: true, headers: stateTag ? { "If-None-Match": stateTag } : {} });
    const text = response.status === 304 ? null : await response.text(); // 304: nothing changed, next to no cost
    stateAt = Date.now();
    if (text === null) return false;
    stateCost = stateAt - asked;
    stateTag = response.headers.get("ETag");
    const every = Math.max(STATE_EVERY_MS, STATE_COST_FACTOR * stateCost);
    fill(pace, every > STATE_EVERY_MS
      ? `The state is large (${stateCost} ms to export): it is read again every ${Math.round(every / 1000)} s, to spare the server.`
      : "");
    if (text === stateText) return false;
    stateText = text;
    state = JSON.parse(text);
    return true;
  };

  const loadTasks = async () => { // true when they changed
    const tasks = await optional("/_mock/tasks", []);
    const text = JSON.stringify(tasks);
    if (text === liveText) return false;
    [live, liveText] = [tasks, text];
    return true;
  };

  const refresh = async ({ force = false } = {}) => {
    await journal.refresh({ force });
    const tasksMoved = await loadTasks();
    const traffic = journal.version !== journalSeen || tasksMoved;
    journalSeen = journal.version;
    const newest = journal.entries.length ? journal.entries[journal.entries.length - 1].id : 0;
    // Calls that may change data (and GET /jwt, which adds a Heidi API user) fetch the state again, at most every
    // STATE_AFTER_TRAFFIC_MS; otherwise every STATE_EVERY_MS, for changes made through the admin API.
    if (journal.entries.some((e) => e.id > lastEntry && (e.method !== "GET" || e.path.endsWith("/jwt")))) changes = true;
    lastEntry = newest;
    const since = Date.now() - stateAt;
    // Under traffic faster than the live view reads (a load test), the state waits until it calms or Refresh.
    const due = force || (!journal.busy && (since >= Math.max(STATE_EVERY_MS, STATE_COST_FACTOR * stateCost)
      || (changes && since >= Math.max(STATE_AFTER_TRAFFIC_MS, STATE_COST_FACTOR * stateCost))));
    fill(busyNote, journal.busy ? "Heavy traffic: the data is read again when it calms down, or with Refresh." : "");
    let stateChanged = false;
    if (due) {
      changes = false;
      stateChanged = await loadState();
    }
    if (force || stateChanged) draw();
    else if (traffic) drawTasks();
  };

  const act = async (what, action) => {
    try {
      await action();
      fill(problem);
      fill(notice, what);
    } catch (error) {
      fill(notice);
      fill(problem, errorLine(error.message));
    }
    await refresh({ force: true });
  };

  const refreshButton = h("button", { type: "button", id: "refresh" }, "Refresh");
  refreshButton.addEventListener("click", () => refresh({ force: true }).catch((error) => fill(problem, errorLine(error.message))));
  const exportButton = h("button", { type: "button", id: "export" }, "Export state");
  const importButton = h("button", { type: "button", id: "import" }, "Import state");
  const resetButton = h("button", { type: "button", id: "reset", class: "danger" }, "Reset everything");
  exportButton.addEventListener("click", () => act("State exported.", async () => {
    const response = await call("GET", "/_mock/state", { raw: true });
    download(await response.text());
  }));
  importButton.addEventListener("click", () => {
    const file = fileInput.files[0];
    if (!file) {
      fill(problem, errorLine("Choose a state file (an export of GET /_mock/state) first."));
      return;
    }
    act(`State loaded from ${file.name}.`, async () => {
      await call("PUT", "/_mock/state", { text: await file.text() });
      journal.forget();
    });
  });
  resetButton.addEventListener("click", () => act("Reset: back to the start state.", async () => {
    await call("POST", "/_mock/reset");
    journal.forget();
    openCharts.clear();
  }));
  let searched = "";
  let typing = null;
  const onSearch = () => { // a short pause after the last key; nothing on a "change" that changed nothing
    clearTimeout(typing);
    typing = setTimeout(() => {
      if (search.value !== searched) draw();
    }, 120);
  };
  search.addEventListener("input", onSearch);
  search.addEventListener("change", onSearch);
  tenantsHolder.addEventListener("click", (event) => {
    const button = event.target.closest("button.chart-toggle");
    if (!button) return;
    const id = Number(button.dataset.patient);
    if (openCharts.has(id)) openCharts.delete(id);
    else openCharts.add(id);
    draw();
  });

  main.append(h("h1", null, "Data"),
    h("div", { class: "toolbar card", id: "state-tools" },
      search, " ", refreshButton, " ", exportButton, " ", h("label", null, "State file ", fileInput), " ", importButton, " ", resetButton, " ", notice,
      problem, pace, busyNote),
    tasksHolder, tenantsHolder);
  await refresh({ force: true });
  scope.every(1000, refresh);
}
