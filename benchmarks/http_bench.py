"""HTTP benchmark: mockserver against other mock servers (Prism, WireMock, json-server, Mockoon), against bare Flask,
on granian against waitress, with consoles open, and on the Redis store with one and two workers.

Not a test: DESIGN.md asks for performance to be measured by a script beside the code, never by
a timed test. The script installs its tools if they are missing (wrk from apt, java from apt for WireMock; the
other mock servers from npm, pinned in benchmarks/package.json and installed from benchmarks/package-lock.json),
starts each server alone on a free loopback port (on a two-core machine two servers under load would measure each
other), drives it with wrk from a separate process, prints a table and the ratios against their targets, and
rewrites docs/performance.md with them. The other mock servers differ in what they do per request: WireMock
answers canned stubs (benchmarks/peers/wiremock/; stateless, no validation; once with its defaults, once with its
request journal and request logging off), Prism the OpenAPI document's example (stateless, validates the
request), json-server and Mockoon do stateful CRUD without validation (benchmarks/peers/json-server/,
benchmarks/peers/mockoon/), mockserver keeps state and validates. Two of the mockserver runs have simulated web
consoles open all along (benchmarks/console_load.py, threads of this script): an open console must not slow the
API. Two more keep their state in Redis (`--store`), with one and two granian workers, each on its own
redis-server that the script starts for it (benchmarks/bench_redis.py) and stops after; that redis-server's CPU
counts as the server's. `--stores memory` leaves them out; `--servers` measures only the servers named.

    .venv/bin/python benchmarks/http_bench.py [--duration 10] [--warmup 2] [--consoles 5] [--stores memory,redis]
        [--servers mockserver-granian,wiremock-no-journal] [--doc docs/performance.md]

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

from bench_redis import redis_server, redis_server_path, redis_version, terminate
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
NODE_MODULES = BENCH / "node_modules"
PRISM = NODE_MODULES / ".bin" / "prism"
JSON_SERVER_BIN = NODE_MODULES / ".bin" / "json-server"
MOCKOON_BIN = NODE_MODULES / ".bin" / "mockoon-cli"
WIREMOCK_JARS = NODE_MODULES / "wiremock" / "build"
"""The npm package wiremock ships WireMock's standalone jar here; the script runs it with java itself."""
PEERS = BENCH / "peers"
"""The other mock servers' configuration: WireMock's stubs, json-server's database and routes, Mockoon's environment.
Copied to WORK before they start, so whatever a server writes next to its configuration stays out of the repository."""
NPM_PACKAGES = {"prism": "@stoplight/prism-cli", "wiremock": "wiremock", "json-server": "json-server",
                "mockoon": "@mockoon/cli"}
"""The npm packages of benchmarks/package.json, by the name used here."""
MOCKSERVER = Path(sys.executable).parent / "mockserver"

HOST = "127.0.0.1"
CONNECTIONS, WRK_THREADS = 16, 2
TOKEN = "bench"
CONTEXTS = "/v2/patient-contexts/"
KINDS = ("create", "get")
MS, MS_QUIET, MS_WAITRESS, BARE, BARE_WAITRESS, PRISM_KEY = (
    "mockserver-granian", "mockserver-no-access-log", "mockserver-waitress", "bare-granian", "bare-waitress", "prism")
WIREMOCK, WIREMOCK_FAST, JSON_SERVER, MOCKOON = "wiremock", "wiremock-no-journal", "json-server", "mockoon"
MS_CONSOLES = {"requests": "mockserver-consoles-requests", "data": "mockserver-consoles-data"}
MS_REDIS = {1: "mockserver-redis-1-worker", 2: "mockserver-redis-2-workers"}
"""Server keys: file names in benchmarks/.work/ and what the ratios refer to."""
CONSOLES = 5
"""Simulated open consoles on each of the MS_CONSOLES servers (--consoles): the issue's "5 consoles open"."""
VIEW_TITLES = {"requests": "Requests", "data": "Data"}
"""The console views the simulated consoles show, as the console's navigation names them."""
STORES = ("memory", "redis")
"""Where mockserver keeps its state (--stores): memory (the default; always measured, the other ratios refer to it)
and Redis, with each worker count of MS_REDIS."""
CONSOLE_TARGET = 0.90
"""Throughput with consoles open over none: "within noise" (identical wrk runs here differ by 10-20%)."""
THREADS = inspect.signature(mockserver.harness.server.serve).parameters["threads"].default
"""mockserver's request threads; every Python server here gets the same number."""
QUIET_PERCENT = 25.0
"""CPU used by other processes plus CPU steal (time the hypervisor gave this machine's CPUs to other machines),
in % of one core, from which on the machine counts as busy."""
ATTEMPTS = 2
"""Measured runs per server and kind at most: a run on a busy machine is tried once more."""
JIT_WARMUP = 8
"""Seconds of extra warm-up per kind for WireMock, once after it started: on this machine its JVM reaches a steady
rate only after some 5-8 s under load (C2 compilation), far past the regular --warmup."""
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
    of the simulated consoles open during its runs, or None; `store`: "redis" to run it on a redis-server of its
    own, whose URL fills the {store} placeholder of `argv`; `workers`: its worker processes; `stateful`: whether
    a get reads what a create stored; `validates`: whether it checks requests against the API (and answers 4xx to
    a bad one); `jit_warmup`: seconds of extra warm-up per kind once the server has started, before its first
    run (a JVM's JIT compiler needs them)."""

    key: str
    label: str
    argv: tuple[str, ...]
    path: str | None = None
    consoles: tuple[int, str] | None = None
    store: str = "memory"
    workers: int = 1
    stateful: bool = True
    validates: bool = True
    jit_warmup: int = 0


def servers(openapi: Path, versions: dict[str, str], consoles: int, stores: tuple[str, ...] = STORES,
            peers: Path = PEERS) -> list[Server]:
    """`consoles` 0 leaves out the servers with consoles open; without "redis" in `stores`, those on Redis.
    `versions`: of the npm packages, by the keys of NPM_PACKAGES; `peers`: the copy of PEERS the other mock servers
    read their configuration from."""
    ms = (str(MOCKSERVER), "serve", "--host", HOST, "--port", "{port}", "--threads", str(THREADS))
    bare = (sys.executable, str(BENCH / "bare_app.py"), "--host", HOST, "--port", "{port}", "--threads", str(THREADS))
    with_consoles = [Server(key, f"mockserver (granian), {consoles} consoles on {VIEW_TITLES[view]}", ms,
                            consoles=(consoles, view)) for view, key in MS_CONSOLES.items()] if consoles else []
    on_redis = [Server(key, f"mockserver (granian), Redis store, {workers} worker{'s' if workers > 1 else ''}",
                       ms + ("--store", "{store}", "--workers", str(workers)), store="redis", workers=workers)
                for workers, key in MS_REDIS.items()] if "redis" in stores else []
    wiremock = ("java", "-jar", str(wiremock_jar()), "--port", "{port}", "--bind-address", HOST,
                "--root-dir", str(peers / "wiremock"), "--disable-banner")
    return [
        Server(MS, "mockserver (granian)", ms),
        Server(MS_QUIET, "mockserver (granian, --no-access-log)", ms + ("--no-access-log",)),
        *with_consoles,
        *on_redis,
        Server(MS_WAITRESS, "mockserver (waitress)", ms + ("--server", "waitress")),
        Server(BARE, "bare Flask (granian)", bare + ("--server", "granian"), path="/bare", stateful=False,
               validates=False),
        Server(BARE_WAITRESS, "bare Flask (waitress)", bare + ("--server", "waitress"), path="/bare", stateful=False,
               validates=False),
        Server(PRISM_KEY, f"Prism {versions['prism']}", (str(PRISM), "mock", "-h", HOST, "-p", "{port}",
                                                          str(openapi)), stateful=False),
        Server(WIREMOCK, f"WireMock {versions['wiremock']} (defaults)", wiremock, stateful=False, validates=False,
               jit_warmup=JIT_WARMUP),
        Server(WIREMOCK_FAST, f"WireMock {versions['wiremock']} (journal and request logging off)",
               wiremock + ("--no-request-journal", "--disable-request-logging"), stateful=False, validates=False,
               jit_warmup=JIT_WARMUP),
        Server(JSON_SERVER, f"json-server {versions['json-server']}",
               (str(JSON_SERVER_BIN), str(peers / "json-server" / "db.js"), "--routes",
                str(peers / "json-server" / "routes.json"), "--host", HOST, "--port", "{port}"), validates=False),
        Server(MOCKOON, f"Mockoon CLI {versions['mockoon']}",
               (str(MOCKOON_BIN), "start", "--data", str(peers / "mockoon" / "environment.json"), "--hostname", HOST,
                "--port", "{port}", "--disable-log-to-file"), validates=False),
    ]


SERVER_KEYS = (MS, MS_QUIET, *MS_CONSOLES.values(), *MS_REDIS.values(), MS_WAITRESS, BARE, BARE_WAITRESS, PRISM_KEY,
               WIREMOCK, WIREMOCK_FAST, JSON_SERVER, MOCKOON)
"""Every server's key, in the order `servers` runs them: what --servers chooses from."""


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
    Ratio("mockserver creates / WireMock (journal off) creates", (MS, "create"), (WIREMOCK_FAST, "create"), 1.0),
    Ratio("mockserver gets / WireMock (journal off) gets", (MS, "get"), (WIREMOCK_FAST, "get"), 1.0),
    Ratio("mockserver creates / WireMock (defaults) creates", (MS, "create"), (WIREMOCK, "create")),
    Ratio("mockserver gets / WireMock (defaults) gets", (MS, "get"), (WIREMOCK, "get")),
    Ratio("WireMock journal off / defaults, creates", (WIREMOCK_FAST, "create"), (WIREMOCK, "create")),
    Ratio("WireMock journal off / defaults, gets", (WIREMOCK_FAST, "get"), (WIREMOCK, "get")),
    Ratio("mockserver creates / json-server creates", (MS, "create"), (JSON_SERVER, "create")),
    Ratio("mockserver gets / json-server gets", (MS, "get"), (JSON_SERVER, "get")),
    Ratio("mockserver creates / Mockoon creates", (MS, "create"), (MOCKOON, "create")),
    Ratio("mockserver gets / Mockoon gets", (MS, "get"), (MOCKOON, "get")),
    Ratio("mockserver gets / bare Flask gets (granian)", (MS, "get"), (BARE, "get"), 0.8),
    Ratio("mockserver creates / bare Flask POSTs (granian)", (MS, "create"), (BARE, "create")),
    Ratio("mockserver --no-access-log / default, creates", (MS_QUIET, "create"), (MS, "create")),
    Ratio("mockserver --no-access-log / default, gets", (MS_QUIET, "get"), (MS, "get")),
    Ratio("mockserver granian / waitress, creates", (MS, "create"), (MS_WAITRESS, "create")),
    Ratio("mockserver granian / waitress, gets", (MS, "get"), (MS_WAITRESS, "get")),
    Ratio("bare Flask granian / waitress, gets", (BARE, "get"), (BARE_WAITRESS, "get")),
)


def store_ratios() -> list[Ratio]:
    """Redis over memory (1 worker each), and 2 Redis workers over 1; `ratio_rows` keeps those whose servers were
    measured, so none with --stores memory."""
    one, two = MS_REDIS[1], MS_REDIS[2]
    return [
        *(Ratio(f"mockserver Redis store, 1 worker / memory store, {kind}s", (one, kind), (MS, kind))
          for kind in KINDS),
        *(Ratio(f"mockserver Redis store, 2 workers / 1 worker, {kind}s", (two, kind), (one, kind))
          for kind in KINDS),
    ]


def console_ratios(runs: list[Run]) -> list[Ratio]:
    """With consoles open over none, per console server measured (none with --consoles 0)."""
    with_consoles = {r.server.key: r.server for r in runs if r.server.consoles}
    return [Ratio(f"mockserver with {server.consoles[0]} consoles on {VIEW_TITLES[server.consoles[1]]} / none, "
                  f"{kind}s", (server.key, kind), (MS, kind), CONSOLE_TARGET)
            for server in with_consoles.values() for kind in KINDS]


@dataclass(frozen=True)
class Run:
    """One measured wrk run. `other_cpu`: CPU used meanwhile by anything but the server, wrk and
    this script, in % of one core (kernel network time no process is charged for lands here too; steal does not);
    `server_cpu`: what the server's processes (all its workers) used meanwhile, and `store_cpu` its redis-server
    (None on the memory store), in % of one core; `consoles`: what the simulated consoles did meanwhile, on a
    server with consoles."""

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
    server_cpu: float = 0.0
    store_cpu: float | None = None
    consoles: Figures | None = None
    rounds: tuple[float, ...] = ()
    """With --rounds: the req/s of every round, in order; this run is the median one (`median_runs`)."""
    steal: float = 0.0
    """CPU steal meanwhile, in % of one core: time the hypervisor ran other machines while this one's CPUs wanted
    to run. Not in `other_cpu`."""

    @property
    def disturbance(self) -> float:
        """Other CPU plus steal, in % of one core: from QUIET_PERCENT on the run counts as made on a busy machine."""
        return self.other_cpu + self.steal

    @property
    def busy(self) -> bool:
        return self.disturbance >= QUIET_PERCENT

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


def ensure_redis() -> None:
    if not redis_server_path():
        apt_install("redis-server")


def ensure_java() -> None:
    """WireMock is a Java program: Debian's headless JRE runs it."""
    if not shutil.which("java"):
        apt_install("default-jre-headless")


def _installed_version(package: str) -> str | None:
    installed = NODE_MODULES / package / "package.json"
    return json.loads(installed.read_text())["version"] if installed.exists() else None


def ensure_node_tools() -> dict[str, str]:
    """Install the npm packages (Prism, WireMock's jar, json-server, Mockoon CLI) from package-lock.json unless the
    pinned versions are there; return those versions by the keys of NPM_PACKAGES."""
    pinned = json.loads((BENCH / "package.json").read_text())["dependencies"]
    versions = {name: pinned[package] for name, package in NPM_PACKAGES.items()}
    if all(_installed_version(NPM_PACKAGES[name]) == version for name, version in versions.items()) and all(
            path.exists() for path in (PRISM, JSON_SERVER_BIN, MOCKOON_BIN)):
        return versions
    if not shutil.which("npm"):
        apt_install("npm")
    log(f"installing {', '.join(f'{package} {pinned[package]}' for package in NPM_PACKAGES.values())} with npm ci "
        f"into {BENCH.relative_to(ROOT)}/node_modules")
    run_quietly(["npm", "ci", "--prefix", str(BENCH), "--no-audit", "--no-fund", "--ignore-scripts"])
    return versions


def wiremock_jar() -> Path:
    """The standalone jar in the npm package wiremock (build/wiremock-standalone-<version>.jar)."""
    jars = sorted(WIREMOCK_JARS.glob("wiremock-standalone-*.jar"))
    if not jars:
        raise RuntimeError(f"no WireMock jar in {WIREMOCK_JARS}; run npm ci --prefix {BENCH}")
    return jars[-1]


def java_version() -> str:
    """Like "OpenJDK 17.0.15": the runtime's name and version from `java -version` (which prints to stderr)."""
    text = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
    runtime = re.search(r"^(.+?) Runtime Environment", text, re.MULTILINE)
    version = re.search(r'version "([^"]+)"', text)
    return f"{runtime.group(1) if runtime else 'Java'} {version.group(1) if version else 'unknown'}"


def prepare_peers() -> Path:
    """A fresh copy of PEERS in WORK for the other mock servers: WireMock creates a __files folder in its root and
    could save mappings there, json-server and Mockoon could write their data back; none of it reaches the repository,
    and every start begins from the same configuration."""
    copy = WORK / "peers"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(PEERS, copy)
    return copy


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
def running(server: Server) -> Iterator[tuple[str, tuple[int, ...]]]:
    """Start `server` in its own session (on the Redis store: first its own redis-server, in another session),
    yield (base URL, session ids: the server's, then its redis-server's if any), always stop both after."""
    with redis_server(WORK / f"{server.key}.redis.log") if server.store == "redis" else nullcontext() as redis:
        port = free_port()
        argv = [arg.format(port=port, store=redis.url if redis else "") for arg in server.argv]
        with (WORK / f"{server.key}.log").open("wb") as log_file:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                                    cwd=ROOT, start_new_session=True)
            try:
                base = f"http://{HOST}:{port}"
                wait_until_serving(proc, base, server)
                yield base, (proc.pid, redis.pid) if redis else (proc.pid,)
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
    terminate(proc)
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


def session_cpu(sids: tuple[int, ...]) -> dict[int, float]:
    """CPU seconds used so far by the live processes of each session (all their threads; a granian worker is a
    process of the server's session)."""
    used = dict.fromkeys(sids, 0)
    for _, f in proc_stats():
        if int(f[3]) in used:
            used[int(f[3])] += int(f[11]) + int(f[12])
    return {sid: ticks / CLOCK_TICKS for sid, ticks in used.items()}


CpuReading = tuple[float, float, dict[int, float], float]
"""A `cpu_seconds` reading: (machine, us, the server's by session, steal), in CPU seconds so far."""


def cpu_seconds(sids: tuple[int, ...]) -> CpuReading:
    """CPU seconds used so far by (the whole machine, us: this script, its waited children and the server's
    sessions, the server's own by session), and the machine's CPU steal so far (seconds its CPUs wanted to run while
    the hypervisor ran other machines: no process here used them, so they are not in the machine's). The sessions
    are the server's and, on the Redis store, its redis-server's: that one works for the server alone, so it counts
    as ours, not as "other". RUSAGE_SELF counts all of this script's threads, so the simulated consoles' CPU is
    ours, not "other"."""
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, stat.readline().split()[1:9])
    machine = (user + nice + system + irq + softirq) / CLOCK_TICKS
    servers = session_cpu(sids)
    usage = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return machine, sum(servers.values()) + sum(u.ru_utime + u.ru_stime for u in usage), servers, steal / CLOCK_TICKS


def other_cpu_percent(before: CpuReading, after: CpuReading, seconds: float) -> float:
    """What other processes used between two `cpu_seconds` readings, in % of one core."""
    return max(0.0, (after[0] - before[0]) - (after[1] - before[1])) / seconds * 100


def steal_percent(before: CpuReading, after: CpuReading, seconds: float) -> float:
    """CPU steal between two `cpu_seconds` readings, all CPUs together, in % of one core."""
    return max(0.0, after[3] - before[3]) / seconds * 100


def wait_until_quiet(sids: tuple[int, ...], limit: float) -> None:
    """Wait (at most `limit` s) while other processes use the CPU or the hypervisor steals it; a run beside them
    is noise."""
    deadline = time.monotonic() + limit
    while True:
        before, started = cpu_seconds(sids), time.monotonic()
        time.sleep(1)
        after, seconds = cpu_seconds(sids), time.monotonic() - started
        other, steal = other_cpu_percent(before, after, seconds), steal_percent(before, after, seconds)
        if other + steal < QUIET_PERCENT or time.monotonic() >= deadline:
            return
        log(f"  other processes use {other:.0f}% of a core, steal {steal:.0f}%; waiting for quiet")


# Driving ----------------------------------------------------------------------------------------

def call(method: str, url: str, body: bytes | None = None, timeout: float = 10) -> tuple[int, bytes]:
    request = Request(url, data=body, method=method, headers={
        "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    try:
        with urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except HTTPError as error:
        return error.code, error.read()


def probe(base: str, server: Server) -> dict[str, tuple[str, int]]:
    """Send one create and one get: their statuses go in the table, and the create's id is what gets fetch (a
    string from mockserver, Mockoon and WireMock's canned answer, a number from json-server)."""
    create_url = base + (server.path or CONTEXTS)
    status, body = call("POST", create_url, create_body("seed"))
    if server.path:
        get_url = create_url
    else:
        try:
            get_url = base + CONTEXTS + str(json.loads(body)["id"])
        except (ValueError, KeyError, TypeError):
            raise RuntimeError(f"{server.label}: the first create answered {status} {body[:200]!r}") from None
    return {"create": (create_url, status), "get": (get_url, call("GET", get_url)[0])}


def wrk(url: str, kind: str, seconds: int, label: str, connections: int = CONNECTIONS,
        threads: int = WRK_THREADS) -> str:
    """One wrk run; creates go through wrk/create.lua so that every external_id is new."""
    argv = ["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{seconds}s", f"--timeout={WRK_TIMEOUT}s",
            "--latency", "-H", f"Authorization: Bearer {TOKEN}"]
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
    """Both kinds against one server. A run that other processes or CPU steal disturbed is repeated (at most
    ATTEMPTS in all) and the least disturbed one kept; the table shows how disturbed it was.
    The server's consoles, if any, are open from after the probe until its last run ends."""
    runs = []
    with running(server) as (base, sids):
        probes = probe(base, server)
        if server.jit_warmup:
            log(f"{server.label}: {server.jit_warmup} s of JIT warm-up per kind")
            for kind, (url, _) in probes.items():
                wrk(url, kind, server.jit_warmup, f"jit-warmup-{round_label}")
        with open_consoles(server, base) as consoles:
            for kind, (url, status) in probes.items():
                best = None
                for attempt in range(ATTEMPTS):
                    run = measure_once(server, kind, url, status, sids, args, f"{round_label}run{attempt}", consoles)
                    best = run if best is None or run.disturbance < best.disturbance else best
                    if not best.busy:
                        break
                runs.append(best)
    return runs


def measure_once(server: Server, kind: str, url: str, status: int, sids: tuple[int, ...],
                 args: argparse.Namespace, label: str, consoles: ConsoleLoad | None = None) -> Run:
    """Wait for quiet, warm up, then one measured wrk run; its raw report stays in WORK. What the consoles
    did before the measured run is dropped: their figures cover the same seconds as wrk's. `sids`: the server's
    session, then its redis-server's if it has one."""
    wait_until_quiet(sids, args.quiet_wait)
    log(f"{server.label}: {kind}s, {args.warmup} s warm-up + {args.duration} s")
    wrk(url, kind, args.warmup, f"warmup-{label}")
    if consoles:
        consoles.take()
    before, started = cpu_seconds(sids), time.monotonic()
    report = wrk(url, kind, args.duration, label)
    after, seconds = cpu_seconds(sids), time.monotonic() - started
    other, steal = other_cpu_percent(before, after, seconds), steal_percent(before, after, seconds)
    used = {sid: (after[2][sid] - before[2][sid]) / seconds * 100 for sid in sids}
    figures = consoles.take() if consoles else None
    (WORK / f"{server.key}-{kind}-{label}.wrk.txt").write_text(report)
    run = Run(server, kind, status, other_cpu=other, server_cpu=used[sids[0]],
              store_cpu=used[sids[1]] if len(sids) > 1 else None, consoles=figures, steal=steal, **parse_wrk(report))
    log(f"  {run.rps:.0f} req/s, p99 {run.p99_ms:.1f} ms, {run.non_2xx} non-2xx, {run.socket_errors} socket errors, "
        f"other CPU {other:.0f}%, steal {steal:.0f}%, server {run.server_cpu:.0f}%"
        + (f", redis-server {run.store_cpu:.0f}%" if run.store_cpu is not None else ""))
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


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def results_table(runs: list[Run]) -> list[str]:
    """One row per server and kind; "state": a get reads what creates stored, "validates": requests are checked
    against the API; "server CPU": what the server's processes used (with its redis-server, on the Redis store)."""
    rows = ["| server | state | validates | requests | status | req/s | over the rounds | p50 ms | p99 ms | non-2xx "
            "| socket errors | server CPU | other CPU | steal | valid |",
            "|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in runs:
        what = "creates (POST)" if r.kind == "create" else "gets (GET)"
        rows.append(f"| {r.server.label} | {_yes(r.server.stateful)} | {_yes(r.server.validates)} | {what} "
                    f"| {r.status} | {r.rps:.0f} | {_spread(r.rounds, 0)} | {r.p50_ms:.2f} | {r.p99_ms:.2f} "
                    f"| {r.non_2xx} | {r.socket_errors} | {r.server_cpu + (r.store_cpu or 0.0):.0f}% "
                    f"| {r.other_cpu:.0f}% | {r.steal:.0f}% | {'yes' if r.valid else 'NO'} |")
    return rows


def _cpu_us(run: Run, percent: float | None) -> float:
    """CPU per request, in µs, of a share used during `run` given in % of one core."""
    return (percent or 0.0) / 100 * 1e6 / run.rps if run.rps else 0.0


def store_table(runs: list[Run]) -> list[str]:
    """The memory store and the Redis servers side by side: what each used of the CPUs, and per request. Empty
    (no such section) with --stores memory."""
    chosen = [r for r in runs if r.server.key == MS or r.server.store == "redis"]
    if not any(r.server.store == "redis" for r in chosen):
        return []
    rows = ["| server | store | workers | requests | req/s | mockserver CPU | redis-server CPU | mockserver µs/request "
            "| redis-server µs/request | total µs/request |",
            "|---|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in chosen:
        what = "creates (POST)" if r.kind == "create" else "gets (GET)"
        redis = "-" if r.store_cpu is None else f"{r.store_cpu:.0f}%"
        redis_us = "-" if r.store_cpu is None else f"{_cpu_us(r, r.store_cpu):.0f}"
        rows.append(f"| {r.server.label} | {r.server.store} | {r.server.workers} | {what} | {r.rps:.0f} "
                    f"| {r.server_cpu:.0f}% | {redis} | {_cpu_us(r, r.server_cpu):.0f} | {redis_us} "
                    f"| {_cpu_us(r, r.server_cpu) + _cpu_us(r, r.store_cpu):.0f} |")
    return rows


def store_sentences(runs: list[Run]) -> list[str]:
    """What the Redis store and a second worker change, from this run's numbers; none with --stores memory."""
    run = {(r.server.key, r.kind): r for r in runs}
    one, two = MS_REDIS[1], MS_REDIS[2]
    if any((key, kind) not in run for key in (MS, one, two) for kind in KINDS):
        return []

    def cpu(key: str, kind: str) -> str:
        r = run[key, kind]
        total = _cpu_us(r, r.server_cpu) + _cpu_us(r, r.store_cpu)
        return f"{total:.0f} µs" + (f" ({_cpu_us(r, r.store_cpu):.0f} µs of it redis-server's)"
                                     if r.store_cpu is not None else "")

    def both(key: str, kind: str) -> float:
        return run[key, kind].server_cpu + (run[key, kind].store_cpu or 0.0)

    cpus = len(os.sched_getaffinity(0))
    return [
        f"On the Redis store mockserver (1 worker) does {run[one, 'create'].rps / run[MS, 'create'].rps:.0%} of the "
        f"creates and {run[one, 'get'].rps / run[MS, 'get'].rps:.0%} of the gets per second it does on the memory "
        f"store. CPU per request, server and redis-server together: creates {cpu(one, 'create')} against "
        f"{cpu(MS, 'create')} in memory, gets {cpu(one, 'get')} against {cpu(MS, 'get')}. Every request on Redis "
        "is several round trips to it (the journal, the tenant's lock for a create, the records it reads and writes).",
        f"Two workers on Redis do {run[two, 'create'].rps / run[one, 'create'].rps:.2f}x the creates and "
        f"{run[two, 'get'].rps / run[one, 'get'].rps:.2f}x the gets per second of one. The server and its "
        f"redis-server used {both(one, 'create'):.0f}% of a core during creates with one worker and "
        f"{both(two, 'create'):.0f}% with two ({both(one, 'get'):.0f}% and {both(two, 'get'):.0f}% during gets), "
        f"of the {cpus * 100}% the machine's {cpus} CPUs have, which wrk and this script share: a second worker "
        "can only use what the first one left idle. All requests are one tenant's, and a create holds that tenant's "
        "lock (in Redis, so across workers) while it reads and writes the tenant's records, a get takes none: "
        "however many workers, creates do that part one at a time, waiting for the lock while another holds it "
        f"(p99 of creates {run[one, 'create'].p99_ms:.0f} ms with one "
        f"worker, {run[two, 'create'].p99_ms:.0f} ms with two; gets {run[one, 'get'].p99_ms:.0f} and "
        f"{run[two, 'get'].p99_ms:.0f} ms).",
    ]


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
    run saw errors, qualified when other processes or CPU steal were busy during either run (then the ratio may be
    off either way). Only the ratios whose two servers were measured (see --servers)."""
    by_key = {(r.server.key, r.kind): r for r in runs}
    rows = []
    for ratio in (*RATIOS, *store_ratios(), *console_ratios(runs)):
        if ratio.numerator not in by_key or ratio.denominator not in by_key:
            continue
        top, bottom = by_key[ratio.numerator], by_key[ratio.denominator]
        value = top.rps / bottom.rps
        if not (top.valid and bottom.valid):
            verdict = "INVALID"
        elif ratio.target is None:
            verdict = "info"
        else:
            verdict = "PASS" if value >= ratio.target else "FAIL"
        if verdict != "INVALID" and (top.busy or bottom.busy):
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
    """Sentences computed from this run's numbers only; each only when the servers it compares were measured."""
    run = {(r.server.key, r.kind): r for r in runs}

    def have(*keys: str) -> bool:
        return all((key, kind) in run for key in keys for kind in KINDS)

    def times(key: str, other: str, kind: str) -> float:
        return run[key, kind].rps / run[other, kind].rps

    invalid = [f"{r.server.label} {r.kind}s" + (f" (consoles: {r.consoles.non_2xx} non-2xx, {r.consoles.errors} errors)"
                                                 if r.consoles and not r.consoles.valid else "")
               for r in runs if not r.valid]
    busy = [f"{r.server.label} {r.kind}s ({r.other_cpu:.0f}% + {r.steal:.0f}% steal)" for r in runs if r.busy]
    lines = [
        f"Void because of errors: {', '.join(invalid)}." if invalid
        else "Every run answered only 2xx, without socket errors, so all numbers count"
        + (" (the consoles' requests too)." if any(r.consoles for r in runs) else "."),
    ]
    if have(MS, BARE):
        lines.append("A granian worker runs Python for one request at a time (the GIL), so 1/throughput is roughly "
                     "the server's time per request, and the difference to bare Flask is what mockserver adds: its "
                     "own work, and its threads waiting for each other's locks.")
        for kind, bare_method in (("get", "GET"), ("create", "POST")):
            total, bare = 1e6 / run[MS, kind].rps, 1e6 / run[BARE, kind].rps
            lines.append(f"mockserver {kind}s reach {times(MS, BARE, kind):.0%} of the rate of a bare Flask "
                         f"{bare_method}: {total:.0f} µs per request, of which mockserver adds about "
                         f"{total - bare:.0f} µs.")
    if have(MS, PRISM_KEY):
        lines.append(f"Against Prism, which validates the request, returns the documented example and stores nothing, "
                     f"mockserver does {times(MS, PRISM_KEY, 'create'):.1f}x the creates and "
                     f"{times(MS, PRISM_KEY, 'get'):.1f}x the gets per second; p99 latency of gets "
                     f"{run[MS, 'get'].p99_ms:.1f} ms against {run[PRISM_KEY, 'get'].p99_ms:.1f} ms.")
    lines += peer_sentences(run)
    if have(MS, MS_QUIET):
        lines.append(f"Without its access log mockserver does {times(MS_QUIET, MS, 'create'):.2f}x the creates and "
                     f"{times(MS_QUIET, MS, 'get'):.2f}x the gets per second of `mockserver serve` as it starts by "
                     "default.")
    if have(MS, MS_WAITRESS, BARE, BARE_WAITRESS):
        lines.append(f"granian serves mockserver at {times(MS, MS_WAITRESS, 'get'):.2f}x waitress's rate for gets and "
                     f"{times(MS, MS_WAITRESS, 'create'):.2f}x for creates; bare Flask at "
                     f"{times(BARE, BARE_WAITRESS, 'get'):.2f}x for gets.")
    lines += [
        *store_sentences(runs),
        *console_sentences(runs),
        f"Other processes and CPU steal together used {QUIET_PERCENT:.0f}% of a core or more during: "
        f"{', '.join(busy)}; those numbers are low by an unknown amount and ratios with them unreliable; repeat on a "
        "quiet machine." if busy
        else f"Other processes and CPU steal together stayed under {QUIET_PERCENT:.0f}% of a core during every run "
             f"(steal at most {max(r.steal for r in runs):.0f}%).",
        "Rates move from run to run on a shared virtual machine even when it is quiet: compare ratios "
        "within one run, and repeat the run before drawing a conclusion from a single one.",
    ]
    return lines


def peer_sentences(run: dict[tuple[str, str], Run]) -> list[str]:
    """mockserver against WireMock (canned stubs), json-server and Mockoon (stateful CRUD), as far as measured."""
    def have(*keys: str) -> bool:
        return all((key, kind) in run for key in keys for kind in KINDS)

    def against(key: str) -> str:
        return (f"{run[MS, 'create'].rps / run[key, 'create'].rps:.2f}x the creates and "
                f"{run[MS, 'get'].rps / run[key, 'get'].rps:.2f}x the gets per second (p99 of creates "
                f"{run[MS, 'create'].p99_ms:.1f} ms against {run[key, 'create'].p99_ms:.1f} ms, of gets "
                f"{run[MS, 'get'].p99_ms:.1f} ms against {run[key, 'get'].p99_ms:.1f} ms)")

    lines = []
    if have(MS, WIREMOCK_FAST):
        lines.append("Against WireMock with its request journal and request logging off, which answers a canned stub "
                     "and neither stores, validates nor records anything (the fastest a stub server here gets), "
                     f"mockserver does {against(WIREMOCK_FAST)}.")
    if have(MS, WIREMOCK):
        lines.append(f"Against WireMock as it starts by default (request journal on) mockserver does "
                     f"{against(WIREMOCK)}"
                     + (f"; with its journal and request logging off WireMock does "
                        f"{run[WIREMOCK_FAST, 'create'].rps / run[WIREMOCK, 'create'].rps:.2f}x the creates and "
                        f"{run[WIREMOCK_FAST, 'get'].rps / run[WIREMOCK, 'get'].rps:.2f}x the gets per second of its "
                        "defaults" if have(WIREMOCK_FAST) else "") + ".")
    for key, name in ((JSON_SERVER, "json-server"), (MOCKOON, "Mockoon")):
        if have(MS, key):
            lines.append(f"Against {name}, which stores what is created and reads it back but validates nothing "
                         f"(stateful CRUD), mockserver does {against(key)}.")
    return lines


def console_sentences(runs: list[Run]) -> list[str]:
    """What the simulated consoles cost the API, per console server measured; none with --consoles 0."""
    run = {(r.server.key, r.kind): r for r in runs}
    lines = []
    if any((MS, kind) not in run for kind in KINDS):
        return []
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


def machine(stores: tuple[str, ...] = ("memory",), versions: dict[str, str] | None = None,
            java: bool = False) -> dict[str, str]:
    """The facts of the Machine section; `versions`: of the npm packages (NPM_PACKAGES) measured, `java`: whether
    WireMock is, so the Java runtime matters."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split(" [")[0]
    node_version = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    packages = ", ".join(f"{p} {importlib.metadata.version(p)}" for p in (
        "granian", "waitress", "flask", "flask-cors", *(("redis",) if "redis" in stores else ())))
    commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty= + uncommitted changes"],
                            capture_output=True, text=True).stdout.strip()
    return {
        "Code measured": f"commit {commit or 'unknown'}",
        "CPUs (nproc)": str(len(os.sched_getaffinity(0))),
        "CPU model": model.group(1) if model else platform.processor() or "unknown",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": f"{platform.python_version()} ({packages})",
        "Load before the run": "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
        "Tools": f"{wrk_version}, Node {node_version}" + (f", {java_version()}" if java else "")
                 + (f", {redis_version()}" if "redis" in stores else ""),
        **({"Other mock servers (benchmarks/package-lock.json)": ", ".join(
            f"{NPM_PACKAGES[name]} {version}" for name, version in versions.items())} if versions else {}),
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


def store_method(runs: list[Run]) -> list[str]:
    """The Method line on the Redis store, when this run measured it."""
    workers = sorted({r.server.workers for r in runs if r.server.store == "redis"})
    if not workers:
        return []
    return [
        f"- Redis store: the same `mockserver serve` with `--store redis://127.0.0.1:<port>/0?prefix=bench "
        f"--workers N`, N = {' and '.join(map(str, workers))} (granian worker processes, each with "
        f"{THREADS} threads), so state, journal and locks are in Redis: {redis_version()}, one per server, "
        "started by the benchmark (`benchmarks/bench_redis.py`) on a free loopback port with a temporary "
        "directory and `--save \"\" --appendonly no` (nothing written to disk), stopped and its directory "
        "deleted after that server's runs. Against \"mockserver (granian)\", the same server on the memory store "
        "with 1 worker (the defaults), this is the cost of the store, and 2 workers against 1 what a second "
        "process adds on this machine.",
        "- CPU of a server: the CPU time its processes (all workers) used during the measured seconds, in % of one "
        "core, read from /proc; on the Redis store its redis-server's is counted with it, since that process "
        "works for this server alone: shown apart in \"Store and workers\", and never counted as other CPU.",
    ]


def servers_method(runs: list[Run]) -> list[str]:
    """The Method lines on the servers this run measured: how each was started and what it does per request."""
    measured = {r.server.key: r.server for r in runs}
    statuses = {(r.server.key, r.kind): r.status for r in runs}
    lines = []
    if measured.keys() & {MS, MS_QUIET, MS_WAITRESS, *MS_CONSOLES.values(), *MS_REDIS.values()}:
        lines.append(f"- mockserver: `mockserver serve --threads {THREADS}` (its default thread count) on granian (1 "
                     "worker, WSGI) and with `--server waitress`; otherwise defaults, so its access log is on and "
                     "written to a file. Once more on granian with `--no-access-log`, to show what the log costs. It "
                     "keeps state (a get reads the context a create stored; a second create with the same "
                     "`external_id` is a 400) and validates every request against its API.")
    if measured.keys() & {BARE, BARE_WAITRESS}:
        lines.append("- bare Flask (`benchmarks/bare_app.py`): one route answering GET and POST with a constant JSON "
                     "body, served with the same granian and waitress settings: the ceiling for a Flask app here.")
    if PRISM_KEY in measured:
        lines.append(f"- {measured[PRISM_KEY].label}: `prism mock` of the document `mockserver openapi` prints, "
                     "default options (it logs every request). Stateless, validates the request: it answers the "
                     f"documented example, status {statuses[PRISM_KEY, 'create']} to creates and "
                     f"{statuses[PRISM_KEY, 'get']} to gets, the same context every time.")
    if measured.keys() & {WIREMOCK, WIREMOCK_FAST}:
        lines.append("- WireMock (the standalone jar of the npm package `wiremock`, run by "
                     "`java -jar wiremock-standalone-<version>.jar --port <port> --bind-address 127.0.0.1 --root-dir "
                     "<copy of benchmarks/peers/wiremock> --disable-banner`, default JVM options): canned stubs, "
                     "stateless and validating nothing. `benchmarks/peers/wiremock/mappings/` answers `POST "
                     f"{CONTEXTS}` and `GET {CONTEXTS}<anything>` with 200 and a fixed context shaped like "
                     "mockserver's answer (one mockserver create's, copied). Once with its defaults (request "
                     "journal on: every request is kept in memory for verification), once with `--no-request-journal "
                     "--disable-request-logging` (nothing kept, no log message built): canned stubs at full speed. "
                     f"Its JVM gets {JIT_WARMUP} s of extra warm-up per kind after it started, before the regular "
                     "warm-up and run: with only the regular warm-up its rate was still rising (some 5-8 s of load "
                     "to a steady rate here, the JIT compiling).")
    if JSON_SERVER in measured:
        lines.append(f"- {measured[JSON_SERVER].label}: `json-server <copy of benchmarks/peers/json-server>/db.js "
                     "--routes routes.json --host 127.0.0.1 --port <port>`, otherwise defaults (it logs every "
                     "request, no `--watch`). Stateful CRUD without validation: a database given as a .js file is "
                     "kept in memory only (never written), `patient-contexts` starts empty, `routes.json` maps "
                     "`/v2/*` to `/$1`; a create appends the body with a new numeric id (201), a get finds it by id. "
                     "It looks ids up by scanning the collection, so its creates slow down as the collection grows "
                     "during the run.")
    if MOCKOON in measured:
        lines.append(f"- {measured[MOCKOON].label}: `mockoon-cli start --data <copy of "
                     "benchmarks/peers/mockoon>/environment.json --hostname 127.0.0.1 --port <port> "
                     "--disable-log-to-file`, otherwise defaults (it logs every request, to its output here). "
                     "Stateful CRUD without validation: one CRUD route `v2/patient-contexts` on a data bucket that "
                     "starts as `[]`; a create appends the body with a new UUID `id` (201), a get finds it by id.")
    return lines


def write_doc(runs: list[Run], args: argparse.Namespace, facts: dict[str, str], started: datetime,
              doc: Path = DOC) -> None:
    """Rewrite `doc` (docs/performance.md unless --doc), keeping its sections from KEEP on."""
    consoles = [
        "## Consoles during the runs",
        "",
        "What the simulated consoles asked for during the seconds wrk measured (warm-up left out); latency from "
        "sending the request to its last byte.",
        "",
        *consoles_table(runs),
        "",
    ] if any(run.consoles for run in runs) else []
    stores = [
        "## Store and workers",
        "",
        "mockserver on the memory store (the defaults, from the table above) and on the Redis store: the CPU "
        "its processes and its redis-server used during the measured seconds, in % of one core, and that CPU "
        "time per request in µs (CPU seconds / requests). CPU per request moves much less with the machine's "
        "load than req/s does.",
        "",
        *store_table(runs),
        "",
    ] if store_table(runs) else []
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
        "make bench BENCH_ARGS=\"--stores memory --consoles 0\"   # quicker: no Redis servers, no consoles",
        ".venv/bin/python benchmarks/http_bench.py --servers mockserver-granian,wiremock-no-journal  # only these",
        "```",
        "",
        f"The numbers below: `.venv/bin/python benchmarks/http_bench.py --rounds {args.rounds} --duration "
        f"{args.duration} --warmup {args.warmup} --quiet-wait {args.quiet_wait} --consoles {args.consoles} "
        f"--stores {','.join(args.stores)}"
        + (f" --servers {','.join(args.servers)}`" if args.servers_given else "`")
        + (f": every server measured in each of {args.rounds} whole rounds, the tables show the median run and "
           "the range over the rounds, the ratios are of the medians." if args.rounds > 1 else "."),
        "",
        "It installs what is missing: `wrk` with apt-get (needs root), `java` for WireMock with apt-get "
        "(`default-jre-headless`), and the other mock servers (Prism, WireMock's standalone jar from the npm package "
        "`wiremock`, json-server, Mockoon CLI) with `npm ci` from `benchmarks/package-lock.json` (versions pinned in "
        "`benchmarks/package.json`). Each server runs "
        f"alone on a free loopback port, one after the other: {len(runs) * args.rounds} runs of {args.warmup} + "
        f"{args.duration} s, each after waiting up to {args.quiet_wait} s for a quiet machine and repeated "
        f"(up to {ATTEMPTS} times in all) if other processes or CPU steal got busy during it. Server logs and the "
        f"raw wrk reports are kept in `benchmarks/.work/`. `--consoles N` sets how many consoles the two servers with "
        f"consoles have open (default {CONSOLES}; 0 leaves those servers out). `--stores memory` leaves out the "
        f"servers on the Redis store (default `--stores {','.join(STORES)}`; they need `redis-server`, installed "
        "with apt-get if missing). `--servers` takes a comma-separated list of server keys (the file names in "
        f"`benchmarks/.work/`: {', '.join(f'`{key}`' for key in SERVER_KEYS)}) and measures only those; a ratio "
        "needs both its servers.",
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
        *servers_method(runs),
        "- other CPU: CPU time used during the run by anything but the server (with its redis-server, on the "
        "Redis store), wrk and this script, in % of "
        "one core; kernel network work that no process is charged for counts there too. steal: the CPU steal "
        "of the same seconds (the `steal` field of /proc/stat: time this virtual machine's CPUs were ready to run "
        "while the hypervisor ran something else), in % of one core, all CPUs together. When other CPU and steal "
        f"add up to {QUIET_PERCENT:.0f}% or more, the run is repeated (up to {ATTEMPTS} times in all, the least "
        "disturbed kept) and, if still so, marked as made on a busy machine.",
        *store_method(runs),
        *consoles_method(runs),
        "",
        "## Machine",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC",
        *(f"- {name}: {value}" for name, value in facts.items()),
        "",
        "## Results",
        "",
        "state: whether a get reads what a create stored (otherwise the answer is canned); validates: whether the "
        "server checks each request against the API. The servers without either do less per request than "
        "mockserver, so their rates are a ceiling for that work, not a like-for-like comparison. server CPU: what "
        "the server's processes used during the measured seconds, in % of one core (with its redis-server's, on the "
        "Redis store): mockserver's Python code runs one thread at a time (the GIL), only granian's I/O threads "
        "beside it, while the Java and Node servers' request, garbage collection and JIT threads can use more of "
        f"the machine's {len(os.sched_getaffinity(0))} CPUs, which wrk shares.",
        "",
        *results_table(runs),
        "",
        *stores,
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
    doc.parent.mkdir(exist_ok=True)
    kept = doc.read_text().split(KEEP, 1)[1] if doc.exists() and KEEP in doc.read_text() else ""
    doc.write_text("\n".join(lines) + (KEEP + kept if kept else ""))


# Main -------------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up before each run (default 2)")
    parser.add_argument("--quiet-wait", type=int, default=60,
                        help="at most this many seconds to wait for other processes to go quiet before a run")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure every server this many times, in whole rounds, and report the medians "
                             "(default 1)")
    parser.add_argument("--consoles", type=int, default=CONSOLES,
                        help=f"simulated open consoles in the runs with consoles (default {CONSOLES}; 0: no such runs)")
    parser.add_argument("--stores", default=",".join(STORES),
                        help=f"where mockserver keeps its state, comma-separated (default {','.join(STORES)}): "
                             "memory, and redis for the servers on a Redis store with "
                             f"{' and '.join(map(str, MS_REDIS))} workers; memory is always measured (the other "
                             "ratios refer to it)")
    parser.add_argument("--servers",
                        help="measure only these servers, comma-separated keys (default: all that --consoles and "
                             "--stores leave in): " + ", ".join(SERVER_KEYS))
    parser.add_argument("--doc", type=Path, default=DOC,
                        help=f"the file to rewrite with the results (default {DOC.relative_to(ROOT)}); its sections "
                             f"from \"{KEEP.strip()}\" on are kept")
    args = parser.parse_args(argv)
    args.servers_given = args.servers is not None
    if args.duration < 1 or args.warmup < 1 or args.rounds < 1 or args.quiet_wait < 0 or args.consoles < 0:
        parser.error("--duration, --warmup and --rounds must be at least 1, --quiet-wait and --consoles at least 0")
    stores = tuple(dict.fromkeys(name.strip() for name in args.stores.split(",") if name.strip()))
    if unknown := [name for name in stores if name not in STORES]:
        parser.error(f"--stores: unknown {', '.join(unknown)}; choose from {', '.join(STORES)}")
    if "memory" not in stores:
        parser.error("--stores must include memory: the other servers' ratios refer to mockserver on it")
    args.stores = tuple(name for name in STORES if name in stores)
    if args.servers is None:
        left_out = ({*MS_REDIS.values()} if "redis" not in args.stores else set()) | (
            {*MS_CONSOLES.values()} if not args.consoles else set())
        args.servers = tuple(key for key in SERVER_KEYS if key not in left_out)
        return args
    chosen = {name.strip() for name in args.servers.split(",") if name.strip()}
    if unknown := sorted(chosen - set(SERVER_KEYS)):
        parser.error(f"--servers: unknown {', '.join(unknown)}; choose from {', '.join(SERVER_KEYS)}")
    if not chosen:
        parser.error("--servers: name at least one server")
    if "redis" not in args.stores and (left_out := sorted(chosen & set(MS_REDIS.values()))):
        parser.error(f"--servers: {', '.join(left_out)}: only with --stores memory,redis")
    if not args.consoles and (left_out := sorted(chosen & set(MS_CONSOLES.values()))):
        parser.error(f"--servers: {', '.join(left_out)}: only with --consoles 1 or more")
    args.servers = tuple(key for key in SERVER_KEYS if key in chosen)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwinds through `running`, stopping the server
    WORK.mkdir(exist_ok=True)
    for old in WORK.glob("*.wrk.txt"):
        old.unlink()
    ensure_wrk()
    on_redis = bool(set(args.servers) & set(MS_REDIS.values()))  # only with --stores memory,redis (parse_args)
    if on_redis:
        ensure_redis()
    java = bool(set(args.servers) & {WIREMOCK, WIREMOCK_FAST})
    if java:
        ensure_java()
    versions = ensure_node_tools()
    measured_versions = {name: version for name, version in versions.items()
                         if set(args.servers) & {"prism": {PRISM_KEY}, "wiremock": {WIREMOCK, WIREMOCK_FAST},
                                                 "json-server": {JSON_SERVER}, "mockoon": {MOCKOON}}[name]}
    started, facts = datetime.now(UTC), machine(args.stores if on_redis else ("memory",), measured_versions, java)
    measured = []
    try:
        order = [server for server in servers(dump_openapi(), versions, args.consoles, args.stores, prepare_peers())
                 if server.key in args.servers]
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
    tables = (results_table(runs) + [""] + (store_table(runs) + [""] if store_table(runs) else [])
              + (consoles_table(runs) + [""] if any(r.consoles for r in runs) else []))
    print("\n".join(tables + ratios_table(runs)))
    write_doc(runs, args, facts, started, args.doc)
    doc = args.doc.resolve()
    log(f"wrote {doc.relative_to(ROOT) if doc.is_relative_to(ROOT) else doc}")
    return 0 if all(run.valid for run in measured) else 1


if __name__ == "__main__":
    sys.exit(main())
