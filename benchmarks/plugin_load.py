"""What loading the pytest plugin costs a pytest run that uses no mock.

pytest loads every installed `pytest11` plugin at start-up, so an environment with mockserver
installed pays for `mockserver.harness.plugin` in every run. This counts, with `python -X importtime`
(best of several runs, in a fresh interpreter each), the import time of the plugin module and of the
other pytest plugins that mockserver's own dependencies install, and writes the table into
docs/performance.md (its own section).

    .venv/bin/python benchmarks/plugin_load.py [--runs 7] [--against REF]

`--against REF` also measures the plugin of a git ref (checked out under benchmarks/.work/).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from request_cost import checkout, write_section

HEADING = "## Loading the pytest plugin (benchmarks/plugin_load.py)"
OTHERS = {"pytest": "pytest", "hypothesis (pytest plugin)": "_hypothesis_pytestplugin",
          "faker (pytest plugin)": "faker.contrib.pytest.plugin",
          "schemathesis (pytest plugin)": "schemathesis.pytest.plugin"}
"""Plugins that mockserver's dependencies (hypothesis, faker, schemathesis) install beside it, and pytest itself."""


def import_ms(module: str, root: Path | None = None) -> float:
    """Milliseconds `import module` takes in a fresh interpreter, imports of modules it pulls in included."""
    code = f"import sys; sys.path.insert(0, {str(root)!r}); import {module}" if root else f"import {module}"
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                          cwd="/", check=True)
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| ( *)(\S+)$", line)
        if match and match.group(3) == module and not match.group(2):  # top level, not nested
            return int(match.group(1)) / 1000
    raise SystemExit(f"no import time for {module}:\n{done.stderr[-2000:]}")


def best(module: str, runs: int, root: Path | None = None) -> float:
    return min(import_ms(module, root) for _ in range(runs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--against", metavar="REF", help="also measure the plugin of this git ref")
    args = parser.parse_args()
    rows = [("mockserver.harness.plugin (this checkout)", best("mockserver.harness.plugin", args.runs))]
    if args.against:
        tree, _ = checkout(args.against)
        old = next(m for m in ("mockserver.harness.plugin", "mockserver.plugin")
                    if (tree / (m.replace(".", "/") + ".py")).exists())
        rows.append((f"{old} ({args.against})", best(old, args.runs, tree)))
    rows += [(name, best(module, args.runs)) for name, module in OTHERS.items()]
    table = ["| module | import ms (best of runs) |", "|---|---:|"] + [f"| {n} | {ms:.0f} |" for n, ms in rows]
    print("\n".join(table))
    write_section(HEADING, f"`python -X importtime`, best of {args.runs} fresh interpreters. What a pytest run "
                  "that uses no mock pays for the plugin: it imports only pytest, and the app (Flask, jsonschema, "
                  "the families) when a fixture is first used. Each row is one fresh interpreter, so each includes "
                  "what that module imports, pytest among them: a plugin's own cost is its row less pytest's. The "
                  "last rows are pytest plugins that mockserver's dependencies install; pytest loads them too.",
                  table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
