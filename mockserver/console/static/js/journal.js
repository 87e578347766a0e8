// The request journal (GET /_mock/requests) as the views share it, and what can be read from it:
// the tasks clients started and polled, and the coverage of the documented operations.

import { get } from "./api.js";

const MIN_INTERVAL_MS = 400;

export const journal = {
  entries: [],
  version: 0,
  signature: "",
  reveal: false,
  fetchedAt: 0,
  inflight: null,

  /** Fetch the journal (at most one call at a time, and not again within 400 ms); true when it changed. */
  async refresh({ force = false } = {}) {
    if (this.inflight) return this.inflight;
    if (!force && Date.now() - this.fetchedAt < MIN_INTERVAL_MS) return false;
    this.inflight = (async () => {
      try {
        const list = await get(`/_mock/requests${this.reveal ? "?reveal=true" : ""}`);
        this.fetchedAt = Date.now();
        const last = list.length ? list[list.length - 1].id : 0;
        const signature = `${list.length}:${list.length ? list[0].id : 0}:${last}:${this.reveal}`;
        if (signature === this.signature) return false;
        this.signature = signature;
        this.entries = list;
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
    this.signature = "";
    this.fetchedAt = 0;
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
