// Coverage: which documented (operation, status) pairs of /openapi.json the journal shows since the last reset,
// counted as `mockserver coverage` counts them, drawn as a bar per family and a tile per status.

import { openapi, VENDOR_DOC } from "../api.js";
import { fill, h } from "../dom.js";
import { coverage, journal } from "../journal.js";

function bar(done, total, id) {
  const share = total ? Math.round((100 * done) / total) : 0;
  return h("div", { class: "meter", id, role: "meter", "aria-valuenow": done, "aria-valuemin": 0, "aria-valuemax": total },
    h("div", { class: "meter-fill", style: { width: `${share}%` } }), h("span", null, `${done} / ${total} (${share}%)`));
}

function tiles(op) {
  const documented = op.documented.map((status) => {
    const count = op.seen[status] || 0;
    return h("span", { class: ["tile", count ? "hit" : "miss"], title: count ? `${status}: answered ${count}×` : `${status}: never answered`,
      dataset: { status } }, status, count ? h("small", null, `×${count}`) : "");
  });
  const extra = Object.entries(op.undocumented).map(([status, count]) =>
    h("span", { class: "tile undocumented", title: `${status}: answered ${count}× but not documented`, dataset: { status } },
      status, h("small", null, `×${count}`)));
  return [...documented, ...extra];
}

export async function render(main, scope) {
  const doc = await openapi(VENDOR_DOC);
  const summary = h("div", { id: "coverage-summary" });
  const body = h("div", { id: "coverage" });
  main.append(h("h1", null, "Coverage"),
    h("p", { class: "muted" }, "Documented operations and statuses of /openapi.json that the journal shows since the last reset ",
      "(the journal keeps the latest requests only). Green: answered; grey: never; red: answered but not documented."),
    summary, body);
  let shown = -1;
  const draw = () => {
    shown = journal.version;
    const report = coverage(doc, journal.entries);
    fill(summary, h("h2", null, "All families"), bar(report.exercised, report.total, "coverage-all"));
    const families = new Map();
    for (const op of report.operations) {
      if (!families.has(op.family)) families.set(op.family, []);
      families.get(op.family).push(op);
    }
    fill(body, [...families].map(([family, ops]) => {
      const total = ops.reduce((n, op) => n + op.documented.length, 0);
      const done = ops.reduce((n, op) => n + op.documented.filter((s) => op.seen[s]).length, 0);
      return h("section", { class: "card", id: `coverage-${family}` },
        h("h2", null, family), bar(done, total, `coverage-bar-${family}`),
        h("table", { class: "coverage" }, h("tbody", null, ops.map((op) =>
          h("tr", { dataset: { operation: op.id }, class: Object.keys(op.seen).length ? "called" : "uncalled" },
            h("td", { class: "method" }, op.method), h("td", { class: "path", title: op.summary }, op.path),
            h("td", { class: "tiles" }, tiles(op)))))));
    }));
  };
  scope.every(2000, async () => {
    await journal.refresh();
    if (shown !== journal.version) draw();
  });
}
