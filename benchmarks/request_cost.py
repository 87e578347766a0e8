"""Request-path cost in CPU instructions: one GET and one create of a Haidy patient context,
through the WSGI app in-process, counted by valgrind's callgrind.

Not a test, and not a throughput benchmark (that is http_bench.py). Instruction counts do not
depend on what else the machine does (the hash seed is fixed; new ids are still random, so repeat
runs differ by a percent or two at most), so two trees compare closely where wrk's req/s on a shared
two-core VM move by 10-20% between identical runs. `--against REF` counts a
git ref too (checked out under benchmarks/.work/), so a refactoring can show it costs nothing:

    .venv/bin/python benchmarks/request_cost.py [--against REF] [--requests 500]

Each count is (a run with N requests) - (a run with none), divided by N: start-up, imports and
warm-up cancel out. It installs valgrind with apt-get if it is missing, and writes its table into
docs/performance.md (its own section; the other benchmarks' sections are kept).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
DOC = ROOT / "docs" / "performance.md"
HEADING = "## Request cost in instructions (benchmarks/request_cost.py)"
KINDS = ("get", "create")
WARMUP = 50


def drive(root: str, requests: int, kind: str) -> None:
    """The measured program: `requests` calls of one kind on the app of the tree at `root`."""
    sys.path.insert(0, root)
    import mockserver
    from mockserver import Config, create_app

    assert mockserver.__file__.startswith(root), f"imported {mockserver.__file__}, not the tree at {root}"
    app = create_app(Config())

    def call(method: str, path: str, body: bytes = b"") -> bytes:
        environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "bench",
                   "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
                   "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json",
                   "HTTP_AUTHORIZATION": "Bearer bench", "wsgi.errors": sys.stderr, "wsgi.multithread": True,
                   "wsgi.multiprocess": False, "wsgi.run_once": False}
        out = app(environ, lambda status, headers: None)
        try:
            return b"".join(out)
        finally:
            getattr(out, "close", lambda: None)()

    def create(n: int) -> bytes:
        return call("POST", "/v2/patient-contexts/", json.dumps({
            "external_id": f"patient-{n}", "patient_group": "sqmcrfbv6fx4g04", "name": "John Doe",
            "birth_date": "1980-01-01", "gender": "male"}).encode())

    context = json.loads(create(-1))["id"]
    for n in range(WARMUP):
        call("GET", f"/v2/patient-contexts/{context}")
        create(-2 - n)
    for n in range(requests):
        if kind == "get":
            call("GET", f"/v2/patient-contexts/{context}")
        else:
            create(n)


def instructions(root: Path, requests: int, kind: str) -> int:
    """Instructions callgrind counted for one run of `drive`."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__,
         "--drive", str(root), str(requests), kind], capture_output=True, text=True, timeout=1800,
        env={**os.environ, "PYTHONHASHSEED": "0"})  # str hashes, and so dict and set layouts, the same every run
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode or not found:
        sys.exit(f"callgrind run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return int(found.group(1))


def checkout(ref: str) -> tuple[Path, str]:
    """A clean tree of `ref` under benchmarks/.work/, and its short commit id."""
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", ref], capture_output=True, text=True,
                         check=True).stdout.strip()
    tree = WORK / f"tree-{sha}"
    if not tree.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", sha], capture_output=True, check=True).stdout
        tree.mkdir()
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree, sha


def measure(root: Path, requests: int) -> dict[str, int]:
    base = {kind: instructions(root, 0, kind) for kind in KINDS}
    costs = {kind: round((instructions(root, requests, kind) - base[kind]) / requests) for kind in KINDS}
    return {**costs, "start-up": base["get"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", metavar="REF", help="also count this git ref (a commit, branch or tag)")
    parser.add_argument("--requests", type=int, default=500, help="requests per counted run")
    parser.add_argument("--drive", nargs=3, metavar=("ROOT", "N", "KIND"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        drive(args.drive[0], int(args.drive[1]), args.drive[2])
        return 0
    if not shutil.which("valgrind"):
        from http_bench import apt_install

        apt_install("valgrind")
    rows = [("this checkout", measure(ROOT, args.requests))]
    if args.against:
        tree, sha = checkout(args.against)
        name = args.against if args.against.startswith(sha) else f"{args.against} ({sha})"
        rows.append((name, measure(tree, args.requests)))
    table = ["| tree | instructions per GET | per create | start-up (create_app and imports) |", "|---|---:|---:|---:|"]
    table += [f"| {name} | {c['get']:,} | {c['create']:,} | {c['start-up']:,} |" for name, c in rows]
    if len(rows) == 2:
        (_, new), (_, old) = rows
        table.append("| ratio | " + " | ".join(f"{new[k] / old[k]:.3f}x" for k in (*KINDS, "start-up")) + " |")
    print("\n".join(table))
    write_section(HEADING, f"callgrind, {args.requests} requests per counted run minus a run with none. The Haidy "
                  "create and get of http_bench.py, in-process through the WSGI app with the default config "
                  "(journal on, access log off as in create_app). Instruction counts do not move with the "
                  "machine's load, and with the hash seed fixed they barely move between runs (new ids are "
                  "still random), so unlike req/s they compare two trees to within a percent or two.", table)
    return 0


def write_section(heading: str, method: str, table: list[str]) -> None:
    """Replace the section under `heading` in docs/performance.md (or add it at the end): when and on
    what it was measured, `method`, and the table. Every other section is kept."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = "\n".join([heading, "", f"{stamp}, Python {sys.version.split()[0]}, {method}", "", *table, ""])
    text = DOC.read_text() if DOC.exists() else ""
    if heading in text:
        before, rest = text.split(heading, 1)
        after = rest[rest.find("\n## "):] if "\n## " in rest else ""
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOC.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
