"""World size: does a create or a get cost more in a tenant holding 100,000 patient contexts than in an empty one,
on the memory store and on the Redis store?

Both stores keep a tenant's records in tables keyed by id (a dict in memory; in Redis a hash per table, one field
per record, core/redis_store.py), so neither should: this script checks it over HTTP, against a real `mockserver
serve`. For each store and world it starts a fresh server alone on a free loopback port (on the Redis store, with
its own redis-server, `benchmarks/bench_redis.py`, as `--store`, 1 worker), creates one context (the one the gets
fetch), and for the big world exports the state (`GET /_mock/state`), adds generated contexts to that tenant up to
--objects and loads it back with `PUT /_mock/state` (timed). Then wrk (the settings and create body of
benchmarks/http_bench.py) drives gets of that one context, then creates of new ones, each after a warm-up.

    .venv/bin/python benchmarks/world_size.py [--objects 100000] [--duration 10] [--warmup 2]
        [--stores memory,redis] [--connections 16] [--quiet-wait 60]

It prints a markdown table (req/s, mean/p50/p99 latency, CPU per request and, on Redis, the commands redis-server
ran per request, per store, world and kind), the ratios big world / empty world, and a short paragraph; it writes no
document. CPU per request is the CPU time of the server's
processes, plus its redis-server's on the Redis store (a separate process working for this server alone), over the
requests wrk completed in the measured seconds; "other CPU" is everything else (but wrk and this script), as in
http_bench.py. Gets run first, so the world has its stated size during them; creates add to it (the table says from
how many to how many contexts: the warm-up's creates count). Server logs and wrk reports go to
benchmarks/.work/world-size/.

Exit status 1 if a measured run saw a non-2xx answer or a socket error (its numbers are void), 2 if a server or
tool failed, 130 on Ctrl-C; the servers are stopped in every case.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

from bench_redis import redis_server, redis_version
from http_bench import (
    CONNECTIONS,
    CONTEXTS,
    HOST,
    MOCKSERVER,
    QUIET_PERCENT,
    ROOT,
    THREADS,
    WORK,
    WRK_THREADS,
    Server,
    call,
    cpu_seconds,
    create_body,
    ensure_redis,
    ensure_wrk,
    free_port,
    log,
    other_cpu_percent,
    parse_wrk,
    stop,
    wait_until_quiet,
    wait_until_serving,
    wrk,
)
from request_cost import write_section

from mockserver.core.ids import random_id

OUT = WORK / "world-size"
HEADING = "## World size (benchmarks/world_size.py)"
"""Its section of docs/performance.md, rewritten by each valid run."""
"""Git-ignored: one log per server (and per redis-server), the raw wrk reports."""
OBJECTS = 100_000
STORES = ("memory", "redis")
WORLDS = ("empty", "big")
KINDS = ("get", "create")
"""Gets first: they leave the world as it is, creates grow it."""
SEED = 20261202
"""Of the generated contexts' ids: the same world every run."""
_MS_PER_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


@dataclass(frozen=True)
class Measured:
    """One measured wrk run. `objects`: the tenant's contexts when it started, `objects_after` when it ended;
    `server_cpu_s`/`store_cpu_s`: CPU seconds of the server's processes and of its redis-server (None in memory);
    `other_cpu`: what anything else used meanwhile, in % of one core; `redis_commands`: the commands redis-server
    ran (those inside Lua scripts too) per request (None in memory)."""

    store: str
    world: str
    kind: str
    objects: int
    objects_after: int
    rps: float
    mean_ms: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    server_cpu_s: float
    store_cpu_s: float | None
    other_cpu: float
    redis_commands: float | None = None

    @property
    def valid(self) -> bool:
        return self.requests > 0 and self.non_2xx == 0 and self.socket_errors == 0

    @property
    def cpu_us(self) -> float:
        """CPU per request, server and redis-server together, in µs."""
        return (self.server_cpu_s + (self.store_cpu_s or 0.0)) / self.requests * 1e6 if self.requests else 0.0

    @property
    def store_cpu_us(self) -> float | None:
        return None if self.store_cpu_s is None or not self.requests else self.store_cpu_s / self.requests * 1e6


def mean_ms(report: str) -> float:
    """wrk's mean latency over all requests (the Avg of its Latency line)."""
    found = re.search(r"^\s+Latency\s+([\d.]+)(us|ms|s|m)\b", report, re.MULTILINE)
    return float(found.group(1)) * _MS_PER_UNIT[found.group(2)]


# Servers ----------------------------------------------------------------------------------------

@contextmanager
def serving(store: str, key: str, max_body_mb: int) -> Iterator[tuple[str, tuple[int, ...], object]]:
    """A fresh `mockserver serve` (and on Redis its own redis-server, started first); yield (base URL, session ids:
    the server's, then its redis-server's, the redis-server or None); always stop both."""
    with redis_server(OUT / f"{key}.redis.log") if store == "redis" else nullcontext() as redis:
        port = free_port()
        argv = [str(MOCKSERVER), "serve", "--host", HOST, "--port", str(port), "--threads", str(THREADS),
                "--no-access-log", "--max-body-mb", str(max_body_mb)]
        if redis:
            argv += ["--store", redis.url, "--workers", "1"]
        with (OUT / f"{key}.log").open("wb") as log_file:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                                    cwd=ROOT, start_new_session=True)
            try:
                base = f"http://{HOST}:{port}"
                wait_until_serving(proc, base, Server(key, key, tuple(argv)))
                yield base, (proc.pid, redis.pid) if redis else (proc.pid,), redis
            finally:
                stop(proc)


def redis_info(redis, section: str) -> dict:
    """INFO `section` of the redis-server (the client of mockserver's store, a dependency of mockserver)."""
    import redis as client

    connection = client.Redis(port=redis.port, socket_timeout=10)
    try:
        return connection.info(section)
    finally:
        connection.close()


def redis_memory(redis) -> str:
    """What redis-server holds now, e.g. "61.3M"."""
    return redis_info(redis, "memory")["used_memory_human"]


def redis_commands(redis) -> int:
    """Commands redis-server has run so far, those that Lua scripts ran included (INFO commandstats)."""
    return sum(stat["calls"] for stat in redis_info(redis, "commandstats").values())


# The world --------------------------------------------------------------------------------------

def seed_context(base: str) -> str:
    """Create the context the gets fetch; its id."""
    status, body = call("POST", base + CONTEXTS, create_body("world-size-seed"))
    if status != 200:
        raise RuntimeError(f"the first create answered {status} {body[:200]!r}")
    return json.loads(body)["id"]


def big_state(export: dict, objects: int) -> tuple[dict, str]:
    """`export` (one tenant, one context) with that tenant's contexts made up to `objects`: copies of the one there
    with a new id and external_id each. The state and the id of the last context added."""
    (tenant, families), = export["tenants"].items()
    haidy = families["haidy"]
    (template,) = haidy["patient_contexts"]
    entropy = random.Random(SEED).randbytes
    ids = {template["id"]}
    contexts = [template]
    while len(contexts) < objects:
        new_id = random_id(12, "ctx_", entropy)
        if new_id not in ids:
            ids.add(new_id)
            contexts.append({**template, "id": new_id, "external_id": f"world-{len(contexts):07d}"})
    haidy["patient_contexts"] = contexts
    return {"tenants": {tenant: families}}, contexts[-1]["id"]


def load_world(base: str, objects: int) -> float:
    """Export the state, add contexts up to `objects`, load it back; the seconds the PUT took."""
    status, body = call("GET", base + "/_mock/state")
    if status != 200:
        raise RuntimeError(f"GET /_mock/state answered {status} {body[:200]!r}")
    state, last = big_state(json.loads(body), objects)
    payload = json.dumps(state, separators=(",", ":")).encode()
    log(f"  loading {objects:,} contexts ({len(payload) / 1e6:.1f} MB) with PUT /_mock/state")
    started = time.monotonic()
    status, body = call("PUT", base + "/_mock/state", payload, timeout=1800)
    seconds = time.monotonic() - started
    if status != 200:
        raise RuntimeError(f"PUT /_mock/state answered {status} {body[:300]!r}")
    if call("GET", base + CONTEXTS + last)[0] != 200:
        raise RuntimeError(f"context {last}, loaded with the world, is not there")
    return seconds


# Measuring --------------------------------------------------------------------------------------

def measure_world(store: str, world: str, args: argparse.Namespace) -> tuple[list[Measured], dict[str, str]]:
    """Gets, then creates, on a fresh server holding `world`; the runs and facts about the world."""
    key = f"{store}-{world}"
    facts: dict[str, str] = {}
    runs = []
    with serving(store, key, args.max_body_mb) as (base, sids, redis):
        seed = seed_context(base)
        objects = 1
        if world == "big":
            facts["load_s"] = f"{load_world(base, args.objects):.1f}"
            objects = args.objects
        if redis:
            facts["redis_memory"] = redis_memory(redis)
        urls = {"get": base + CONTEXTS + seed, "create": base + CONTEXTS}
        if call("GET", urls["get"])[0] != 200:
            raise RuntimeError(f"{key}: the seed context {seed} is not there")
        for kind in KINDS:
            wait_until_quiet(sids, args.quiet_wait)
            log(f"{store} store, {world} world ({objects:,} context{'s' if objects > 1 else ''}): {kind}s, "
                f"{args.warmup} s warm-up + {args.duration} s")
            warm = wrk(urls[kind], kind, args.warmup, f"warmup-{key}", args.connections, WRK_THREADS)
            (OUT / f"{key}-{kind}-warmup.wrk.txt").write_text(warm)
            if kind == "create":
                objects += parse_wrk(warm)["requests"]
            commands = redis_commands(redis) if redis else 0
            before, started = cpu_seconds(sids), time.monotonic()
            report = wrk(urls[kind], kind, args.duration, key, args.connections, WRK_THREADS)
            after, seconds = cpu_seconds(sids), time.monotonic() - started
            commands = redis_commands(redis) - commands - 1 if redis else 0  # less this INFO
            (OUT / f"{key}-{kind}.wrk.txt").write_text(report)
            parsed = parse_wrk(report)
            used = {sid: after[2][sid] - before[2][sid] for sid in sids}
            run = Measured(store, world, kind, objects, objects + (parsed["requests"] if kind == "create" else 0),
                           parsed["rps"], mean_ms(report), parsed["p50_ms"], parsed["p99_ms"], parsed["requests"],
                           parsed["non_2xx"], parsed["socket_errors"], used[sids[0]],
                           used[sids[1]] if len(sids) > 1 else None, other_cpu_percent(before, after, seconds),
                           commands / parsed["requests"] if redis and parsed["requests"] else None)
            objects = run.objects_after
            log(f"  {run.rps:.0f} req/s, mean {run.mean_ms:.2f} ms, {run.cpu_us:.0f} µs CPU per request, "
                f"{run.non_2xx} non-2xx, {run.socket_errors} socket errors, other CPU {run.other_cpu:.0f}%")
            runs.append(run)
    return runs, facts


# Reporting --------------------------------------------------------------------------------------

def results_table(runs: list[Measured]) -> list[str]:
    rows = ["| store | world | contexts in the tenant | requests | req/s | mean ms | p50 ms | p99 ms "
            "| CPU µs per request | of it redis-server | Redis commands per request | other CPU | valid |",
            "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in runs:
        what = "creates (POST)" if r.kind == "create" else "gets (GET)"
        held = f"{r.objects:,}" if r.objects == r.objects_after else f"{r.objects:,} → {r.objects_after:,}"
        redis = "-" if r.store_cpu_us is None else f"{r.store_cpu_us:.0f}"
        commands = "-" if r.redis_commands is None else f"{r.redis_commands:.1f}"
        rows.append(f"| {r.store} | {r.world} | {held} | {what} | {r.rps:.0f} | {r.mean_ms:.2f} | {r.p50_ms:.2f} "
                    f"| {r.p99_ms:.2f} | {r.cpu_us:.0f} | {redis} | {commands} | {r.other_cpu:.0f}% "
                    f"| {'yes' if r.valid else 'NO'} |")
    return rows


def ratios(runs: list[Measured]) -> list[tuple[str, str, Measured, Measured]]:
    """(store, kind, empty run, big run) for each store and kind measured in both worlds."""
    by = {(r.store, r.world, r.kind): r for r in runs}
    return [(store, kind, by[store, "empty", kind], by[store, "big", kind])
            for store in STORES for kind in KINDS if (store, "empty", kind) in by and (store, "big", kind) in by]


def ratios_table(runs: list[Measured]) -> list[str]:
    rows = ["| store | requests | req/s big / empty | mean latency big / empty | p99 big / empty "
            "| CPU per request big / empty |",
            "|---|---|---:|---:|---:|---:|"]
    for store, kind, empty, big in ratios(runs):
        what = "creates" if kind == "create" else "gets"
        cpu = f"{big.cpu_us / empty.cpu_us:.2f}x" if empty.cpu_us else "-"
        rows.append(f"| {store} | {what} | {big.rps / empty.rps:.2f}x | {big.mean_ms / empty.mean_ms:.2f}x "
                    f"| {big.p99_ms / empty.p99_ms:.2f}x | {cpu} |")
    return rows


def paragraph(runs: list[Measured], facts: dict[str, dict[str, str]], args: argparse.Namespace) -> str:
    sentences = [f"A world of {args.objects:,} patient contexts in one tenant against an empty one (1 context), "
                 f"wrk with {args.connections} connections, {args.warmup} + {args.duration} s per run, one fresh "
                 "server per store and world."]
    for store, kind, empty, big in ratios(runs):
        what = "creates" if kind == "create" else "gets"
        sentences.append(f"{store.capitalize()} store, {what}: the big world does {big.rps / empty.rps:.0%} of the "
                         f"empty world's rate, at {big.cpu_us:.0f} against {empty.cpu_us:.0f} µs of CPU per request "
                         f"({big.cpu_us / empty.cpu_us:.2f}x).")
    by = {(r.store, r.world, r.kind): r for r in runs}
    for kind in KINDS:
        memory, redis = by.get(("memory", "empty", kind)), by.get(("redis", "empty", kind))
        if memory and redis and memory.cpu_us:
            sentences.append(
                f"In the empty world a {kind} on Redis costs {redis.cpu_us / memory.cpu_us:.1f}x the CPU of one in "
                f"memory ({redis.cpu_us:.0f} against {memory.cpu_us:.0f} µs, {redis.store_cpu_us:.0f} µs of it "
                "redis-server's).")
    commands = [(kind, empty.redis_commands, big.redis_commands) for store, kind, empty, big in ratios(runs)
                if store == "redis" and empty.redis_commands is not None and big.redis_commands is not None]
    if commands:
        sentences.append("Redis commands per request (a request's round trips and, inside its Lua scripts, what "
                         "they run), empty world against big: " + ", ".join(
                             f"{kind}s {empty:.1f} against {big:.1f}" for kind, empty, big in commands)
                         + "; work that grew with the world would show here as well as in the CPU.")
    loads = [f"{facts[store]['load_s']} s on the {store} store" + (
        f" (redis-server then held {facts[store]['redis_memory']})" if "redis_memory" in facts[store] else "")
        for store in STORES if "load_s" in facts.get(store, {})]
    if loads:
        sentences.append(f"Loading the big world with PUT /_mock/state took {' and '.join(loads)}.")
    invalid = [f"{r.store} {r.world} {r.kind}s" for r in runs if not r.valid]
    busy = [f"{r.store} {r.world} {r.kind}s ({r.other_cpu:.0f}%)" for r in runs if r.other_cpu >= QUIET_PERCENT]
    if invalid:
        sentences.append(f"Void because of non-2xx answers or socket errors: {', '.join(invalid)}.")
    if busy:
        sentences.append(f"Other processes used {QUIET_PERCENT:.0f}% of a core or more during: {', '.join(busy)}; "
                         "req/s and latency of those runs are low by an unknown amount (CPU per request much less "
                         "so); repeat on a quiet machine.")
    spread = [abs(big.cpu_us / empty.cpu_us - 1) for *_, empty, big in ratios(runs) if empty.cpu_us]
    if spread:
        sentences.append(f"CPU per request differs between the worlds by {statistics.median(spread):.0%} in the "
                         "median case; identical runs on a shared virtual machine differ by 10-20% in req/s, so "
                         "only a larger ratio, repeated, says that the size of the world costs.")
    return " ".join(sentences)


# Main -------------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--objects", type=int, default=OBJECTS,
                        help=f"patient contexts in the big world's tenant (default {OBJECTS:,})")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up before each run (default 2)")
    parser.add_argument("--stores", default=",".join(STORES),
                        help=f"comma-separated, of {', '.join(STORES)} (default all)")
    parser.add_argument("--connections", type=int, default=CONNECTIONS,
                        help=f"wrk connections (default {CONNECTIONS}, as http_bench.py; 1: one request at a time, "
                             "so the latency is a request's own)")
    parser.add_argument("--quiet-wait", type=int, default=60,
                        help="at most this many seconds to wait for other processes to go quiet before a run")
    parser.add_argument("--max-body-mb", type=int, default=0,
                        help="the servers' --max-body-mb, for the PUT of the big world (default: enough for it)")
    args = parser.parse_args(argv)
    if args.objects < 2 or args.duration < 1 or args.warmup < 1 or args.connections < 1 or args.quiet_wait < 0:
        parser.error("--objects must be at least 2, --duration, --warmup and --connections at least 1, "
                     "--quiet-wait at least 0")
    stores = {name.strip() for name in args.stores.split(",") if name.strip()}
    if not stores or stores - set(STORES):
        parser.error(f"--stores: a comma-separated choice of {', '.join(STORES)}")
    args.stores = tuple(name for name in STORES if name in stores)
    args.max_body_mb = args.max_body_mb or max(64, args.objects // 1000)  # about 300 bytes a context, twice over
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwinds through `serving`, stopping the servers
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.wrk.txt"):
        old.unlink()
    ensure_wrk()
    if "redis" in args.stores:
        ensure_redis()
        log(f"Redis store on {redis_version()}")
    runs: list[Measured] = []
    facts: dict[str, dict[str, str]] = {}
    try:
        for store in args.stores:
            for world in WORLDS:
                measured, world_facts = measure_world(store, world, args)
                runs += measured
                facts.setdefault(store, {}).update(world_facts)
    except KeyboardInterrupt:
        log("interrupted; servers stopped")
        return 130
    except (OSError, RuntimeError, subprocess.SubprocessError) as error:
        log(f"aborted, servers stopped: {error} {getattr(error, 'stderr', None) or ''}")
        return 2
    tables = [*results_table(runs), "", *ratios_table(runs), "", paragraph(runs, facts, args)]
    print("\n".join(tables))
    if all(run.valid for run in runs):
        write_section(HEADING, f"wrk -t2 -c{args.connections}, {args.duration} s after {args.warmup} s of warm-up, one "
                      "fresh `mockserver serve` per store and world (memory; Redis, one worker, on its own "
                      "redis-server), the world loaded with PUT /_mock/state. CPU per request counts the server's "
                      "processes and redis-server's.", tables)
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
