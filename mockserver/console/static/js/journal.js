// The request journal (GET /_mock/requests) as the views share it, and what can be read from it:
// the tasks clients started and polled, and the coverage of the documented operations.

import { call } from "./api.js";

const MIN_INTERVAL_MS = 400;
/** A poll after the first asks for at most this many new entries: traffic faster than that skips the middle. */
const LIVE_LIMIT = 100;

export const OLDEST_HEADER = "X-Mock-Journal-Oldest";

export const journal = {
  entries: [],
  version: 0,
  reveal: false,
  fetchedReveal: false,
  fetchedAt: 0,
  skipped: 0,
  busy: false,
  inflight: null,
  inflightReveal: false,

  /**
   * Fetch what is new (at most one call at a time, and not again within 400 ms); true when the list changed.
   * A cursor (`after` = the newest id held) keeps each poll as small as the traffic since the last one; the
   * answer's X-Mock-Journal-Oldest says which held entries were cleared or fell off the server's end.
   */
  async refresh({ force = false } = {}) {
    if (this.inflight && this.inflightReveal !== this.reveal) await this.inflight.catch(() => {}); // then this one
    if (this.inflight) return this.inflight;
    if (!force && Date.now() - this.fetchedAt < MIN_INTERVAL_MS) return false;
    this.inflightReveal = this.reveal;
    this.inflight = (async () => {
      try {
        let changed = false;
        if (this.reveal !== this.fetchedReveal) { // masked and revealed entries are not mixed: start over
          this.entries = [];
          this.fetchedReveal = this.reveal;
          this.fetchedAt = 0;
          this.skipped = 0;
          changed = true;
        }
        const held = this.entries;
        const after = held.length ? held[held.length - 1].id : 0;
        const query = new URLSearchParams({ after: String(after) });
        if (this.reveal) query.set("reveal", "true");
        if (this.fetchedAt) query.set("limit", String(LIVE_LIMIT)); // the first fetch reads the whole journal
        const response = await call("GET", `/_mock/requests?${query}`, { raw: true });
        const fresh = await response.json();
        if (held !== this.entries) return false; // forgotten meanwhile (a reset or a clear): the next poll starts over
        this.fetchedAt = Date.now();
        const oldest = Number(response.headers.get(OLDEST_HEADER)) || 0;
        const gone = held.findIndex((entry) => entry.id >= oldest);
        const kept = gone === -1 ? [] : gone === 0 ? held : held.slice(gone);
        if (fresh.length) this.skipped += Math.max(0, fresh[0].id - Math.max(after + 1, oldest));
        this.busy = fresh.length >= LIVE_LIMIT && query.has("limit"); // more traffic than a live view reads
        if (!changed && kept === held && !fresh.length) return false;
        this.entries = fresh.length ? kept.concat(fresh) : kept;
        this.version += 1;
        return true;
      } finally {
        this.inflight = null;
      }
    })();
    return this.inflight;
  },

  /** Forget what was fetched (after a reset or a clear): the next refresh starts over. */
  forget() {
    this.entries = [];
    this.fetchedAt = 0;
    this.skipped = 0;
    this.busy = false;
    this.version += 1;
  },
};

function parse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const FINISHED = new Set(["DONE", "FAILED"]);

/**
 * The tasks the journal shows: every answer that carries a task (`task_id` and `status`), the one that created
 * it and each poll, oldest first. A task's status is the latest a client was told; its progress moves as the
 * client polls. After the poll that reported DONE or FAILED a task may answer 404 (retention "once"): it keeps
 * its last status.
 */
export function tasksFrom(entries) {
  const tasks = new Map();
  for (const entry of entries) {
    const answer = parse(entry.response_body);
    if (!answer || typeof answer !== "object" || typeof answer.task_id !== "string" || !answer.status) continue;
    let task = tasks.get(answer.task_id);
    if (!task) {
      task = { id: answer.task_id, created: entry.at, operation: entry.operation || entry.path, polls: 0 };
      tasks.set(answer.task_id, task);
    } else {
      task.polls += 1;
    }
    if (task.status && FINISHED.has(task.status) && !FINISHED.has(answer.status)) continue;
    Object.assign(task, {
      status: answer.status,
      percentage: typeof answer.percentage === "number" ? answer.percentage : task.percentage ?? 0,
      seen: entry.at,
      changes: answer.status_changes_at || task.changes || {},
      error: answer.additional_info && answer.additional_info.error ? answer.additional_info : null,
    });
  }
  return [...tasks.values()].reverse();
}

/**
 * The journal's tasks brought up to date with the tasks the server holds (GET /_mock/tasks, which is not a poll):
 * a realtime task's bar moves between the client's polls. A task the journal no longer shows (cleared) is listed
 * from the server alone; one the server no longer holds (fetched, expired) keeps what the journal last showed.
 */
export function withLive(tasks, live) {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  for (const held of live) {
    const task = byId.get(held.task_id) || { id: held.task_id, created: held.created_at, operation: "" };
    if (!byId.has(held.task_id)) {
      byId.set(held.task_id, task);
      tasks.unshift(task);
    }
    Object.assign(task, {
      status: held.status, percentage: held.percentage, polls: held.polls, tenant: held.tenant,
      changes: held.status_changes_at,
      error: held.additional_info && held.additional_info.error ? held.additional_info : null,
    });
  }
  return tasks.sort((a, b) => Date.parse(b.created) - Date.parse(a.created)); // newest first, as the journal's
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/**
 * Which documented (operation, status) pairs the journal shows, as `mockserver coverage` counts them
 * (mockserver/control/coverage.py): per operation of the document its documented statuses and how often each
 * was answered; statuses answered but not documented apart.
 */
export function coverage(doc, entries) {
  const operations = new Map();
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const [method, spec] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      operations.set(spec.operationId, {
        id: spec.operationId, method: method.toUpperCase(), path, family: (spec.tags || [""])[0],
        summary: spec.summary || "", documented: Object.keys(spec.responses || {}).sort(), seen: {}, undocumented: {},
      });
    }
  }
  for (const entry of entries) {
    const op = operations.get(entry.operation);
    if (!op) continue;
    const status = String(entry.status);
    const bucket = op.documented.includes(status) ? op.seen : op.undocumented;
    bucket[status] = (bucket[status] || 0) + 1;
  }
  const list = [...operations.values()];
  const total = list.reduce((n, op) => n + op.documented.length, 0);
  const exercised = list.reduce((n, op) => n + op.documented.filter((s) => op.seen[s]).length, 0);
  return { operations: list, total, exercised };
}
