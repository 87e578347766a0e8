"""Operation coverage: which documented operations and status codes the code under test exercised.

Computed from the OpenAPI document (what can happen) and journal entries (what did happen).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
"""The keys of a path item that are operations; the others (`servers`, `parameters`, ...) are not."""


@dataclass
class OperationCoverage:
    operation_id: str
    method: str
    path: str
    documented: list[str]
    seen: Counter = field(default_factory=Counter)

    @property
    def missing(self) -> list[str]:
        return [status for status in self.documented if not self.seen[status]]


@dataclass
class CoverageReport:
    operations: list[OperationCoverage]
    undocumented: Counter
    """(operation, status) pairs that happened but are not in the document."""

    @classmethod
    def build(cls, document: dict, entries) -> CoverageReport:
        """`entries`: journal entries (objects or dicts) with `operation` and `status`."""
        ops: dict[str, OperationCoverage] = {}
        for path, item in document.get("paths", {}).items():
            for method, spec in item.items():
                if method not in METHODS:
                    continue
                ops[spec["operationId"]] = OperationCoverage(
                    spec["operationId"], method.upper(), path, sorted(spec.get("responses", {})))
        undocumented: Counter = Counter()
        for entry in entries:
            operation, status = _get(entry, "operation"), str(_get(entry, "status"))
            if operation not in ops:
                continue
            if status in ops[operation].documented:
                ops[operation].seen[status] += 1
            else:
                undocumented[(operation, status)] += 1
        return cls(list(ops.values()), undocumented)

    @property
    def exercised(self) -> int:
        return sum(1 for op in self.operations for s in op.documented if op.seen[s])

    @property
    def total(self) -> int:
        return sum(len(op.documented) for op in self.operations)

    def render(self) -> str:
        lines = [f"mockserver coverage: {self.exercised}/{self.total} documented (operation, status) pairs exercised"]
        for op in self.operations:
            called = sum(op.seen.values())
            mark = (
                "never called"
                if not called
                else ("all statuses" if not op.missing else "missing " + ", ".join(op.missing))
            )
            seen = ", ".join(f"{s}x{n}" for s, n in sorted(op.seen.items()) if n)
            lines.append(f"  {op.method:6} {op.path:55} {seen or '-':20} {mark}")
        for (operation, status), count in sorted(self.undocumented.items()):
            lines.append(f"  undocumented: {operation} answered {status} x{count}")
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {
            "exercised": self.exercised, "total": self.total,
            "operations": [{"operationId": o.operation_id, "method": o.method, "path": o.path,
                            "documented": o.documented, "seen": dict(o.seen), "missing": o.missing}
                           for o in self.operations],
            "undocumented": [{"operationId": o, "status": s, "count": n} for (o, s), n in self.undocumented.items()],
        }


def _get(entry, name):
    return entry[name] if isinstance(entry, dict) else getattr(entry, name)
