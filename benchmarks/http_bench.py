"""HTTP benchmark: mockserver against Prism, against bare Flask, on granian against waitress, and with consoles open.

Not a test: DESIGN.md asks for performance to be measured by a script beside the code, never by
a timed test. The script installs its tools if they are missing (wrk from apt; Prism from npm,
pinned in benchmarks/package.json), starts each server alone on a free loopback port (on a
two-core machine two servers under load would measure each other), drives it with wrk from a
separate process, prints a table and the ratios against their targets, and rewrites
docs/performance.md with them. Two of the mockserver runs have simulated web consoles open all along
(benchmarks/console_load.py, threads of this script): an open console must not slow the API.

    .venv/bin/python benchmarks/http_bench.py [--duration 10] [--warmup 2] [--consoles 5]

Exit status 1 if any measured run saw a non-2xx answer or a socket error, or a console a non-2xx answer or an
error (those numbers are void),
2 if a server or tool failed, 130 on Ctrl-C; the servers are stopped in every case.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import inspect
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from console_load import (
    ENDPOINTS,
    JOURNAL,
    JOURNAL_POLL_MS,
    LIVE_LIMIT,
    STATE,
    STATE_AFTER_TRAFFIC_MS,
    STATE_COST_FACTOR,
    STATE_EVERY_MS,
    ConsoleLoad,
    Figures,
)

import mockserver.harness.server

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
"""Git-ignored scratch: the OpenAPI dump, one log per server, the raw wrk output of every run."""
DOC = ROOT / "docs" / "performance.md"
KEEP = "\n## Extraction"
"""From this heading on, docs/performance.md holds other benchmarks' results, kept when this one rewrites it."""
CREATE_LUA = BENCH / "wrk" / "create.lua"
PRISM = BENCH / "node_modules" / ".bin" / "prism"
MOCKSERVER = Path(sys.executable).parent / "mockserver"

HOST = "127.0.0.1"
CONNECTIONS, WRK_THREADS = 16, 2
TOKEN = "bench"
CONTEXTS = "/v2/patient-contexts/"
KINDS = ("create", "get")
MS, MS_QUIET, MS_WAITRESS, BARE, BARE_WAITRESS, PRISM_KEY = (
    "mockserver-granian", "mockserver-no-access-log", "mockserver-waitress", "bare-granian", "bare-waitress", "prism")
MS_CONSOLES = {"requests": "mockserver-consoles-requests", "data": "mockserver-consoles-data"}
"""Server keys: file names in benchmarks/.work/ and what the ratios refer to."""
CONSOLES = 5
"""Simulated open consoles on each of the MS_CONSOLES servers (--consoles): the issue's "5 consoles open"."""
VIEW_TITLES = {"requests": "Requests", "data": "Data"}
"""The console views the simulated consoles show, as the console's navigation names them."""
CONSOLE_TARGET = 0.90
"""Throughput with consoles open over none: "within noise" (identical wrk runs here differ by 10-20%)."""
THREADS = inspect.signature(mockserver.harness.server.serve).parameters["threads"].default
"""mockserver's request threads; every Python server here gets the same number."""
QUIET_PERCENT = 25.0
"""CPU used by other processes, in % of one core, above which the machine counts as busy."""
ATTEMPTS = 2
"""Measured runs per server and kind at most: a run on a busy machine is tried once more."""
WRK_TIMEOUT = 5
"""Seconds before wrk gives up on a request (a socket error); slower answers still count in p99."""
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def create_body(external_id: str) -> bytes:
    """The create request of the Haidy docs; wrk/create.lua gets it with EXTERNAL_ID as placeholder."""
    return json.dumps({"external_id": external_id, "patient_group": "sqmcrfbv6fx4g04", "name": "John Doe",
                       "birth_date": "1980-01-01", "gender": "male"}).encode()


@dataclass(frozen=True)
class Server:
    """A server under test. `argv` has a {port} placeholder; `path` is a bare route for both kinds,
    None for the Haidy API (creates to CONTEXTS, gets of a context created first); `consoles`: (count, view)
    of the simulated consoles open during its runs, or None."""

    key: str
    label: str
    argv: tuple[str, ...]
    path: str | None = None
    consoles: tuple[int, str] | None = None


def servers(openapi: Path, prism_version: str, consoles: int) -> list[Server]:
    """`consoles` 0 leaves out the servers with consoles open."""
    ms = (str(MOCKSERVER), "serve", "--host", HOST, "--port", "{port}", "--threads", str(THREADS))
    bare = (sys.executable, str(BENCH / "bare_app.py"), "--host", HOST, "--port", "{port}", "--threads", str(THREADS))
    with_consoles = [Server(key, f"mockserver (granian), {consoles} consoles on {VIEW_TITLES[view]}", ms,
                            consoles=(consoles, view)) for view, key in MS_CONSOLES.items()] if consoles else []
    return [
        Server(MS, "mockserver (granian)", ms),
        Server(MS_QUIET, "mockserver (granian, --no-access-log)", ms + ("--no-access-log",)),
        *with_consoles,
        Server(MS_WAITRESS, "mockserver (waitress)", ms + ("--server", "waitress")),
        Server(BARE, "bare Flask (granian)", bare + ("--server", "granian"), path="/bare"),
        Server(BARE_WAITRESS, "bare Flask (waitress)", bare + ("--server", "waitress"), path="/bare"),
        Server(PRISM_KEY, f"Prism {prism_version}", (str(PRISM), "mock", "-h", HOST, "-p", "{port}", str(openapi))),
    ]


@dataclass(frozen=True)
class Ratio:
    """Throughput of one (server, kind) run over another's; `target` None means for information only."""

    label: str
    numerator: tuple[str, str]
    denominator: tuple[str, str]
    target: float | None = None


RATIOS = (
    Ratio("mockserver creates / Prism creates", (MS, "create"), (PRISM_KEY, "create"), 1.5),
    Ratio("mockserver gets / Prism gets", (MS, "get"), (PRISM_KEY, "get"), 3.0),
    Ratio("mockserver gets / bare Flask gets (granian)", (MS, "get"), (BARE, "get"), 0.8),
    Ratio("mockserver creates / bare Flask POSTs (granian)", (MS, "create"), (BARE, "create")),
    Ratio("mockserver --no-access-log / default, creates", (MS_QUIET, "create"), (MS, "create")),
    Ratio("mockserver --no-access-log / default, gets", (MS_QUIET, "get"), (MS, "get")),
    Ratio("mockserver granian / waitress, creates", (MS, "create"), (MS_WAITRESS, "create")),
    Ratio("mockserver granian / waitress, gets", (MS, "get"), (MS_WAITRESS, "get")),
    Ratio("bare Flask granian / waitress, gets", (BARE, "get"), (BARE_WAITRESS, "get")),
)


def console_ratios(runs: list[Run]) -> list[Ratio]:
    """With consoles open over none, per console server measured (none with --consoles 0)."""
    with_consoles = {r.server.key: r.server for r in runs if r.server.consoles}
    return [Ratio(f"mockserver with {server.consoles[0]} consoles on {VIEW_TITLES[server.consoles[1]]} / none, "
                  f"{kind}s", (server.key, kind), (MS, kind), CONSOLE_TARGET)
            for server in with_consoles.values() for kind in KINDS]


@dataclass(frozen=True)
class Run:
    """One measured wrk run. `other_cpu`: CPU used meanwhile by anything but the server, wrk and
    this script, in % of one core (kernel network time no process is charged for lands here too);
    `consoles`: what the simulated consoles did meanwhile, on a server with consoles."""

    server: Server
    kind: str
    status: int
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    other_cpu: float
    consoles: Figures | None = None
    rounds: tuple[float, ...] = ()
    """With --rounds: the req/s of every round, in order; this run is the median one (`median_runs`)."""

    @property
    def valid(self) -> bool:
        return (200 <= self.status < 300 and self.requests > 0 and self.non_2xx == 0 and self.socket_errors == 0
                and (self.consoles is None or self.consoles.valid))


# Tools ------------------------------------------------------------------------------------------

def run_quietly(argv: list[str], timeout: float = 900) -> None:
    """Run an install step; on failure show its output, since that is where the reason is."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if done.returncode:
        sys.exit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def apt_install(package: str) -> None:
    if os.geteuid() != 0:
        sys.exit(f"{package} is missing; install it with: sudo apt-get install -y {package}")
    log(f"installing {package} with apt-get")
    run_quietly(["apt-get", "update", "-qq"])
    run_quietly(["apt-get", "install", "-y", "-qq", package])


def ensure_wrk() -> None:
    if not shutil.which("wrk"):
        apt_install("wrk")


def ensure_prism() -> str:
    """Install Prism from package-lock.json unless the pinned version is there; return that version."""
    pinned = json.loads((BENCH / "package.json").read_text())["dependencies"]["@stoplight/prism-cli"]
    installed = BENCH / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
    if PRISM.exists() and installed.exists() and json.loads(installed.read_text())["version"] == pinned:
        return pinned
    if not shutil.which("npm"):
        apt_install("npm")
    log(f"installing Prism {pinned} with npm ci into {BENCH.relative_to(ROOT)}/node_modules")
    run_quietly(["npm", "ci", "--prefix", str(BENCH), "--no-audit", "--no-fund", "--ignore-scripts"])
    return pinned


def dump_openapi() -> Path:
    """Prism mocks exactly the document mockserver publishes."""
    path = WORK / "openapi.json"
    with path.open("w") as out:
        subprocess.run([str(MOCKSERVER), "openapi"], stdout=out, check=True, timeout=120)
    return path


# Servers ----------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextmanager
def running(server: Server) -> Iterator[tuple[str, int]]:
    """Start `server` in its own session, yield (base URL, session id), always stop it after."""
    port = free_port()
    argv = [arg.format(port=port) for arg in server.argv]
    with (WORK / f"{server.key}.log").open("wb") as log_file:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                                cwd=ROOT, start_new_session=True)
        try:
            base = f"http://{HOST}:{port}"
            wait_until_serving(proc, base, server)
            yield base, proc.pid
        finally:
            stop(proc)


def wait_until_serving(proc: subprocess.Popen, base: str, server: Server, timeout: float = 60) -> None:
    """Any HTTP answer, even a 404, means the server is up; give up after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{server.label} exited with {proc.returncode}; see {WORK / server.key}.log")
        try:
            urlopen(base + "/", timeout=2).close()
            return
        except HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{server.label} did not answer on {base} within {timeout:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server, then SIGKILL whatever of its session outlives 10 s (granian forks a worker)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    for pid in session_pids(proc.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# CPU accounting ---------------------------------------------------------------------------------

def proc_stats() -> Iterator[tuple[int, list[str]]]:
    """(pid, fields after the command name) of every process in /proc."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                text = (entry / "stat").read_text()
            except OSError:
                continue
            yield int(entry.name), text[text.rindex(")") + 2:].split()


def session_pids(sid: int) -> list[int]:
    return [pid for pid, fields in proc_stats() if int(fields[3]) == sid]


def cpu_seconds(sid: int) -> tuple[float, float]:
    """CPU seconds used so far by (the whole machine, us: this script, its waited children and the server).
    RUSAGE_SELF counts all of this script's threads, so the simulated consoles' CPU is ours, not "other"."""
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, stat.readline().split()[1:9])
    machine = (user + nice + system + irq + softirq + steal) / CLOCK_TICKS
    server = sum(int(f[11]) + int(f[12]) for _, f in proc_stats() if int(f[3]) == sid) / CLOCK_TICKS
    usage = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return machine, server + sum(u.ru_utime + u.ru_stime for u in usage)


def other_cpu_percent(before: tuple[float, float], after: tuple[float, float], seconds: float) -> float:
    """What other processes used between two `cpu_seconds` readings, in % of one core."""
    return max(0.0, (after[0] - before[0]) - (after[1] - before[1])) / seconds * 100


def wait_until_quiet(sid: int, limit: float) -> None:
    """Wait (at most `limit` s) while other processes use the CPU; a run beside them is noise."""
    deadline = time.monotonic() + limit
    while True:
        before = cpu_seconds(sid)
        time.sleep(1)
        busy = other_cpu_percent(before, cpu_seconds(sid), 1)
        if busy < QUIET_PERCENT or time.monotonic() >= deadline:
            return
        log(f"  other processes use {busy:.0f}% of a core; waiting for quiet")


# Driving ----------------------------------------------------------------------------------------

def call(method: str, url: str, body: bytes | None = None) -> tuple[int, bytes]:
    request = Request(url, data=body, method=method, headers={
        "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    try:
        with urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except HTTPError as error:
        return error.code, error.read()


def probe(base: str, server: Server) -> dict[str, tuple[str, int]]:
    """Send one create and one get: their statuses go in the table, and the create's id is what gets fetch."""
    create_url = base + (server.path or CONTEXTS)
    status, body = call("POST", create_url, create_body("seed"))
    if server.path:
        get_url = create_url
    else:
        try:
            get_url = base + CONTEXTS + json.loads(body)["id"]
        except (ValueError, KeyError):
            raise RuntimeError(f"{server.label}: the first create answered {status} {body[:200]!r}") from None
    return {"create": (create_url, status), "get": (get_url, call("GET", get_url)[0])}


def wrk(url: str, kind: str, seconds: int, label: str) -> str:
    """One wrk run; creates go through wrk/create.lua so that every external_id is new."""
    argv = ["wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", f"--timeout={WRK_TIMEOUT}s", "--latency",
            "-H", f"Authorization: Bearer {TOKEN}"]
    if kind == "create":
        argv += ["-s", str(CREATE_LUA), url, "--", label, create_body("EXTERNAL_ID").decode()]
    else:
        argv.append(url)
    return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=seconds + 30).stdout


_MS_PER_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_wrk(text: str) -> dict[str, float]:
    """requests/s, p50 and p99 in ms, request count, non-2xx/3xx answers and socket errors from wrk's report."""
    latency = re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.MULTILINE)
    percentiles = {p: float(v) * _MS_PER_UNIT[u] for p, v, u in latency}
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
        "p50_ms": percentiles["50"], "p99_ms": percentiles["99"],
        "requests": int(re.search(r"(\d+) requests in", text).group(1)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(map(int, sockets.groups())) if sockets else 0,
    }


def open_consoles(server: Server, base: str) -> AbstractContextManager[ConsoleLoad | None]:
    """The server's simulated consoles, open until the context ends; nothing for a server without."""
    if server.consoles is None:
        return nullcontext()
    count, view = server.consoles
    log(f"{server.label}: opening {count} simulated consoles on the {VIEW_TITLES[view]} view")
    return ConsoleLoad(base, count, view)


def measure(server: Server, args: argparse.Namespace, round_label: str = "") -> list[Run]:
    """Both kinds against one server. A run that other processes disturbed is repeated (at most
    ATTEMPTS in all) and the least disturbed one kept; the table shows how disturbed it was.
    The server's consoles, if any, are open from after the probe until its last run ends."""
    runs = []
    with running(server) as (base, sid):
        probes = probe(base, server)
        with open_consoles(server, base) as consoles:
            for kind, (url, status) in probes.items():
                best = None
                for attempt in range(ATTEMPTS):
                    run = measure_once(server, kind, url, status, sid, args, f"{round_label}run{attempt}", consoles)
                    best = run if best is None or run.other_cpu < best.other_cpu else best
                    if best.other_cpu < QUIET_PERCENT:
                        break
                runs.append(best)
    return runs


def measure_once(server: Server, kind: str, url: str, status: int, sid: int, args: argparse.Namespace,
                 label: str, consoles: ConsoleLoad | None = None) -> Run:
    """Wait for quiet, warm up, then one measured wrk run; its raw report stays in WORK. What the consoles
    did before the measured run is dropped: their figures cover the same seconds as wrk's."""
    wait_until_quiet(sid, args.quiet_wait)
    log(f"{server.label}: {kind}s, {args.warmup} s warm-up + {args.duration} s")
    wrk(url, kind, args.warmup, f"warmup-{label}")
    if consoles:
        consoles.take()
    before, started = cpu_seconds(sid), time.monotonic()
    report = wrk(url, kind, args.duration, label)
    other = other_cpu_percent(before, cpu_seconds(sid), time.monotonic() - started)
    figures = consoles.take() if consoles else None
    (WORK / f"{server.key}-{kind}-{label}.wrk.txt").write_text(report)
    run = Run(server, kind, status, other_cpu=other, consoles=figures, **parse_wrk(report))
    log(f"  {run.rps:.0f} req/s, {run.non_2xx} non-2xx, {run.socket_errors} socket errors, other CPU {other:.0f}%")
    if figures:
        log(f"  consoles: {figures.per_second:.1f} requests/s, {figures.non_2xx} non-2xx, {figures.errors} errors"
            + "".join(f"\n    {problem}" for problem in figures.problems))
    return run


# Reporting --------------------------------------------------------------------------------------

def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def median_runs(runs: list[Run]) -> list[Run]:
    """Per (server, kind), over the rounds, the run with the median req/s (the lower one of an even count), or an
    invalid one if any round's was, carrying every round's req/s; in the order the servers ran."""
    groups: dict[tuple[str, str], list[Run]] = {}
    for run in runs:
        groups.setdefault((run.server.key, run.kind), []).append(run)
    chosen = []
    for group in groups.values():
        ranked = sorted(group, key=lambda run: run.rps)
        pick = next((run for run in group if not run.valid), ranked[(len(ranked) - 1) // 2])
        chosen.append(replace(pick, rounds=tuple(run.rps for run in group)))
    return chosen


def _spread(values: tuple[float, ...], digits: int) -> str:
    return f"{min(values):.{digits}f}-{max(values):.{digits}f}" if len(values) > 1 else "-"


def results_table(runs: list[Run]) -> list[str]:
    rows = ["| server | requests | status | req/s | over the rounds | p50 ms | p99 ms | non-2xx | socket errors "
            "| other CPU | valid |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in runs:
        what = "creates (POST)" if r.kind == "create" else "gets (GET)"
        rows.append(f"| {r.server.label} | {what} | {r.status} | {r.rps:.0f} | {_spread(r.rounds, 0)} "
                    f"| {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.non_2xx} | {r.socket_errors} | {r.other_cpu:.0f}% "
                    f"| {'yes' if r.valid else 'NO'} |")
    return rows


def consoles_table(runs: list[Run]) -> list[str]:
    """Per run with consoles open: what they asked for, per endpoint, during the seconds wrk measured."""
    rows = ["| server | during | endpoint | requests | per s | mean ms | max ms | KB received | non-2xx | errors |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in runs:
        if r.consoles is None:
            continue
        what, figures = "creates" if r.kind == "create" else "gets", r.consoles
        for name in ENDPOINTS:
            e = figures.endpoints.get(name)
            if e:
                shown = f"{name}?after=" if name == JOURNAL else name
                rows.append(f"| {r.server.label} | {what} | GET {shown} | {e.requests} "
                            f"| {e.requests / figures.seconds:.1f} | {e.mean_ms:.1f} | {e.max_ms:.1f} "
                            f"| {e.bytes / 1000:.0f} | {e.non_2xx} | {e.errors} |")
        rows.append(f"| {r.server.label} | {what} | all | {figures.requests} | {figures.per_second:.1f} | | "
                    f"| {sum(e.bytes for e in figures.endpoints.values()) / 1000:.0f} | {figures.non_2xx} "
                    f"| {figures.errors} |")
    return rows


def ratio_rows(runs: list[Run]) -> list[tuple[Ratio, float, str]]:
    """(ratio, value, verdict): of the medians over the rounds; PASS/FAIL against the target, INVALID if either
    run saw errors, qualified when other processes were busy during either run (then the ratio may be off either
    way)."""
    by_key = {(r.server.key, r.kind): r for r in runs}
    rows = []
    for ratio in (*RATIOS, *console_ratios(runs)):
        top, bottom = by_key[ratio.numerator], by_key[ratio.denominator]
        value = top.rps / bottom.rps
        if not (top.valid and bottom.valid):
            verdict = "INVALID"
        elif ratio.target is None:
            verdict = "info"
        else:
            verdict = "PASS" if value >= ratio.target else "FAIL"
        if verdict != "INVALID" and max(top.other_cpu, bottom.other_cpu) >= QUIET_PERCENT:
            verdict += " (busy machine)"
        rows.append((ratio, value, verdict))
    return rows


def ratios_table(runs: list[Run]) -> list[str]:
    """Each ratio of the medians, and the ratios round by round (the same round's runs), for the noise."""
    by_key = {(r.server.key, r.kind): r for r in runs}
    rows = ["| ratio (requests/s) | value | round by round | target | verdict |", "|---|---:|---:|---:|---|"]
    for ratio, value, verdict in ratio_rows(runs):
        top, bottom = by_key[ratio.numerator], by_key[ratio.denominator]
        per_round = tuple(a / b for a, b in zip(top.rounds, bottom.rounds, strict=False))
        target = f">= {ratio.target:.2f}x" if ratio.target is not None else "-"
        rows.append(f"| {ratio.label} | {value:.2f}x | {_spread(per_round, 2)} | {target} | {verdict} |")
    return rows


def interpretation(runs: list[Run]) -> list[str]:
    """Sentences computed from this run's numbers only."""
    run = {(r.server.key, r.kind): r for r in runs}

    def times(key: str, other: str, kind: str) -> float:
        return run[key, kind].rps / run[other, kind].rps

    invalid = [f"{r.server.label} {r.kind}s" + (f" (consoles: {r.consoles.non_2xx} non-2xx, {r.consoles.errors} errors)"
                                                 if r.consoles and not r.consoles.valid else "")
               for r in runs if not r.valid]
    busy = [f"{r.server.label} {r.kind}s ({r.other_cpu:.0f}%)" for r in runs if r.other_cpu >= QUIET_PERCENT]
    lines = [
        f"Void because of errors: {', '.join(invalid)}." if invalid
        else "Every run answered only 2xx, without socket errors, so all numbers count"
        + (" (the consoles' requests too)." if any(r.consoles for r in runs) else "."),
        "A granian worker runs Python for one request at a time (the GIL), so 1/throughput is roughly "
        "the server's time per request, and the difference to bare Flask is what mockserver adds: its own "
        "work, and its threads waiting for each other's locks.",
    ]
    for kind, bare_method in (("get", "GET"), ("create", "POST")):
        total, bare = 1e6 / run[MS, kind].rps, 1e6 / run[BARE, kind].rps
        lines.append(f"mockserver {kind}s reach {times(MS, BARE, kind):.0%} of the rate of a bare Flask {bare_method}: "
                     f"{total:.0f} µs per request, of which mockserver adds about {total - bare:.0f} µs.")
    lines += [
        f"Against Prism, which returns the documented example and stores nothing, mockserver does "
        f"{times(MS, PRISM_KEY, 'create'):.1f}x the creates and {times(MS, PRISM_KEY, 'get'):.1f}x the gets "
        f"per second; p99 latency of gets {run[MS, 'get'].p99_ms:.1f} ms against "
        f"{run[PRISM_KEY, 'get'].p99_ms:.1f} ms.",
        f"Without its access log mockserver does {times(MS_QUIET, MS, 'create'):.2f}x the creates and "
        f"{times(MS_QUIET, MS, 'get'):.2f}x the gets per second of `mockserver serve` as it starts by default.",
        f"granian serves mockserver at {times(MS, MS_WAITRESS, 'get'):.2f}x waitress's rate for gets and "
        f"{times(MS, MS_WAITRESS, 'create'):.2f}x for creates; bare Flask at {times(BARE, BARE_WAITRESS, 'get'):.2f}x "
        f"for gets.",
        *console_sentences(runs),
        f"Other processes used {QUIET_PERCENT:.0f}% of a core or more during: {', '.join(busy)}; those numbers "
        f"are low by an unknown amount and ratios with them unreliable; repeat on a quiet machine." if busy
        else f"No other process used {QUIET_PERCENT:.0f}% of a core during any run.",
        "Rates move from run to run on a shared virtual machine even when it is quiet: compare ratios "
        "within one run, and repeat the run before drawing a conclusion from a single one.",
    ]
    return lines


def console_sentences(runs: list[Run]) -> list[str]:
    """What the simulated consoles cost the API, per console server measured; none with --consoles 0."""
    run = {(r.server.key, r.kind): r for r in runs}
    lines = []
    for server in {r.server.key: r.server for r in runs if r.server.consoles}.values():
        (count, view), creates, gets = server.consoles, run[server.key, "create"], run[server.key, "get"]
        both = creates.consoles, gets.consoles
        polls = sum(f.requests for f in both) / sum(f.seconds for f in both)
        line = (f"With {count} consoles on the {VIEW_TITLES[view]} view mockserver did "
                f"{creates.rps / run[MS, 'create'].rps:.0%} of the creates and {gets.rps / run[MS, 'get'].rps:.0%} "
                f"of the gets per second it did with none; the consoles made {polls:.1f} requests/s in all, and "
                f"their journal poll took {_mean_ms(creates, JOURNAL):.1f} ms on average during creates, "
                f"{_mean_ms(gets, JOURNAL):.1f} ms during gets")
        if view == "data":
            line += "; " + "; ".join(_state_reads(run, kind) for run, kind in ((creates, "creates"), (gets, "gets")))
        lines.append(line + ".")
    if lines:
        lines.append(f"Identical wrk runs on this virtual machine differ by 10-20% in throughput, so a ratio with "
                     f"consoles open over none is within noise of 1 from about {CONSOLE_TARGET:.2f} (the target) up; "
                     f"only a lower one, repeated, would show that open consoles slow the API.")
    return lines


def _state_reads(run: Run, kind: str) -> str:
    state = run.consoles.endpoints.get(STATE) if run.consoles else None
    if not state or not state.requests:
        return (f"during {kind} the state was not read (the Data view reads it when due, and not while its journal "
                "polls come back full)")
    return (f"during {kind} the state was read {state.requests} times, {state.mean_ms:.1f} ms on average "
            f"(304s included)")


def _mean_ms(run: Run, endpoint: str) -> float:
    found = run.consoles.endpoints.get(endpoint) if run.consoles else None
    return found.mean_ms if found else 0.0


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split(" [")[0]
    node_version = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    packages = ", ".join(f"{p} {importlib.metadata.version(p)}" for p in ("granian", "waitress", "flask", "flask-cors"))
    commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty= + uncommitted changes"],
                            capture_output=True, text=True).stdout.strip()
    return {
        "Code measured": f"commit {commit or 'unknown'}",
        "CPUs (nproc)": str(len(os.sched_getaffinity(0))),
        "CPU model": model.group(1) if model else platform.processor() or "unknown",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": f"{platform.python_version()} ({packages})",
        "Load before the run": "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
        "Tools": f"{wrk_version}, Node {node_version}",
    }


def consoles_method(runs: list[Run]) -> list[str]:
    """The Method line on the simulated consoles, when this run had any."""
    counts = {r.server.consoles[0] for r in runs if r.server.consoles}
    if not counts:
        return []
    count = max(counts)
    return [
        f"- consoles: {count} simulated open web consoles (`benchmarks/console_load.py`), all on one view, open "
        "during every warm-up and run of the servers \"with consoles\": threads of this script, one keep-alive "
        "connection each, making the admin API calls of the console's JavaScript on its schedule. `GET "
        "/_mock/health` when a console opens; Requests view: `GET /_mock/requests?after=<last id>&limit="
        f"{LIVE_LIMIT}` (the first without a limit) {JOURNAL_POLL_MS} ms after the previous poll ended; Data view: "
        f"that poll, then `GET /_mock/tasks`, and `GET /_mock/state` every {STATE_EVERY_MS} ms, or after "
        f"data-changing traffic once {STATE_AFTER_TRAFFIC_MS} ms have passed, and either way no sooner than "
        f"{STATE_COST_FACTOR} times the last full export's duration, with that export's ETag as If-None-Match "
        "(a 304 when nothing changed), and not while the last journal poll came back full (more traffic than a "
        "live view reads: the console waits for calm or its Refresh button). A simulation, not browsers: on "
        f"{len(os.sched_getaffinity(0))} CPUs {count} Chromiums would spend them on their own rendering, and the "
        "benchmark would measure that, not the server. The consoles' CPU counts as this script's, not as other "
        "CPU; a console's non-2xx answer (but a 304 to its conditional GET) or failed request makes the run void.",
    ]


def write_doc(runs: list[Run], args: argparse.Namespace, facts: dict[str, str], started: datetime) -> None:
    prism = next(run.server.label for run in runs if run.server.key == PRISM_KEY)
    statuses = {run.kind: run.status for run in runs if run.server.key == PRISM_KEY}
    consoles = [
        "## Consoles during the runs",
        "",
        "What the simulated consoles asked for during the seconds wrk measured (warm-up left out); latency from "
        "sending the request to its last byte.",
        "",
        *consoles_table(runs),
        "",
    ] if any(run.consoles for run in runs) else []
    lines = [
        "# Performance",
        "",
        "Written by `benchmarks/http_bench.py`; every run rewrites this file, so all numbers below come from "
        "its last run. It is a benchmark, not a test: nothing fails when a target is missed.",
        "",
        "## How to run",
        "",
        "```sh",
        "make bench                     # = .venv/bin/python benchmarks/http_bench.py",
        ".venv/bin/python benchmarks/http_bench.py --rounds 3 --duration 10 --warmup 2 --quiet-wait 60",
        "```",
        "",
        f"The numbers below: `.venv/bin/python benchmarks/http_bench.py --rounds {args.rounds} --duration "
        f"{args.duration} --warmup {args.warmup} --quiet-wait {args.quiet_wait} --consoles {args.consoles}`"
        + (f": every server measured in each of {args.rounds} whole rounds, the tables show the median run and "
           "the range over the rounds, the ratios are of the medians." if args.rounds > 1 else "."),
        "",
        "It installs what is missing: `wrk` with apt-get (needs root) and Prism with `npm ci` from "
        "`benchmarks/package-lock.json` (version pinned in `benchmarks/package.json`). Each server runs "
        f"alone on a free loopback port, one after the other: {len(runs) * args.rounds} runs of {args.warmup} + "
        f"{args.duration} s, each after waiting up to {args.quiet_wait} s for a quiet machine and repeated "
        f"(up to {ATTEMPTS} times in all) if other processes got busy during it. Server logs and the raw wrk "
        f"reports are kept in `benchmarks/.work/`. `--consoles N` sets how many consoles the two servers with "
        f"consoles have open (default {CONSOLES}; 0 leaves those servers out).",
        "",
        "## Method",
        "",
        f"- wrk: {WRK_THREADS} threads, {CONNECTIONS} connections, `--latency`, `--timeout {WRK_TIMEOUT}s`, "
        f"{args.duration} s per run after a {args.warmup} s warm-up on the same server; wrk shares the "
        "machine's CPUs with the server. A run with any non-2xx answer or socket error (a timeout included) "
        "is void.",
        f"- creates: `POST {CONTEXTS}` with `Authorization: Bearer {TOKEN}` and the body of the Haidy docs, "
        "a new `external_id` per request (`benchmarks/wrk/create.lua`); gets: `GET "
        f"{CONTEXTS}{{id}}` of one context created before.",
        f"- mockserver: `mockserver serve --threads {THREADS}` (its default thread count) on granian (1 worker, "
        "WSGI) and with `--server waitress`; otherwise defaults, so its access log is on and written to a file. "
        "Once more on granian with `--no-access-log`, to show what the log costs.",
        "- bare Flask (`benchmarks/bare_app.py`): one route answering GET and POST with a constant JSON "
        "body, served with the same granian and waitress settings: the ceiling for a Flask app here.",
        f"- {prism}: `prism mock` of the document `mockserver openapi` prints, default options (it logs "
        f"every request). It answers the documented example: status {statuses['create']} to creates and "
        f"{statuses['get']} to gets, the same context every time.",
        "- other CPU: CPU time used during the run by anything but the server, wrk and this script, in % of "
        f"one core; kernel network work that no process is charged for counts there too. From "
        f"{QUIET_PERCENT:.0f}% on, the run is marked as made on a busy machine.",
        *consoles_method(runs),
        "",
        "## Machine",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC",
        *(f"- {name}: {value}" for name, value in facts.items()),
        "",
        "## Results",
        "",
        *results_table(runs),
        "",
        *consoles,
        "## Ratios",
        "",
        *ratios_table(runs),
        "",
        "## Interpretation",
        "",
        *(f"- {line}" for line in interpretation(runs)),
        "",
    ]
    DOC.parent.mkdir(exist_ok=True)
    kept = DOC.read_text().split(KEEP, 1)[1] if DOC.exists() and KEEP in DOC.read_text() else ""
    DOC.write_text("\n".join(lines) + (KEEP + kept if kept else ""))


# Main -------------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up before each run (default 2)")
    parser.add_argument("--quiet-wait", type=int, default=60,
                        help="at most this many seconds to wait for other processes to go quiet before a run")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure every server this many times, in whole rounds, and report the medians "
                             "(default 1)")
    parser.add_argument("--consoles", type=int, default=CONSOLES,
                        help=f"simulated open consoles in the runs with consoles (default {CONSOLES}; 0: no such runs)")
    args = parser.parse_args(argv)
    if args.duration < 1 or args.warmup < 1 or args.rounds < 1 or args.quiet_wait < 0 or args.consoles < 0:
        parser.error("--duration, --warmup and --rounds must be at least 1, --quiet-wait and --consoles at least 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwinds through `running`, stopping the server
    WORK.mkdir(exist_ok=True)
    for old in WORK.glob("*.wrk.txt"):
        old.unlink()
    ensure_wrk()
    prism_version = ensure_prism()
    started, facts = datetime.now(UTC), machine()
    measured = []
    try:
        order = servers(dump_openapi(), prism_version, args.consoles)
        for number in range(1, args.rounds + 1):  # whole rounds, so a slow spell of the VM hits every server
            if args.rounds > 1:
                log(f"round {number} of {args.rounds}")
            for server in order:
                measured += measure(server, args, f"round{number}-" if args.rounds > 1 else "")
    except KeyboardInterrupt:
        log("interrupted; servers stopped, nothing written")
        return 130
    except (OSError, RuntimeError, subprocess.SubprocessError) as error:
        log(f"aborted, servers stopped, nothing written: {error} {getattr(error, 'stderr', None) or ''}")
        return 2
    runs = median_runs(measured)
    tables = results_table(runs) + [""] + (consoles_table(runs) + [""] if any(r.consoles for r in runs) else [])
    print("\n".join(tables + ratios_table(runs)))
    write_doc(runs, args, facts, started)
    log(f"wrote {DOC.relative_to(ROOT)}")
    return 0 if all(run.valid for run in measured) else 1


if __name__ == "__main__":
    sys.exit(main())
