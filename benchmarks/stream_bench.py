"""Streams: do Heidi consult notes streaming at `serve`'s pace slow the other requests down?

A streamed answer (core/streams.py) is sent piece by piece after the app returned, outside the one-request-at-a-time
gate (core/gate.py), but by the server thread that took the request. This script checks over HTTP, against a real
`mockserver serve --stream-pace MS`, that no other request waits for it: wrk drives gets of one Haidy patient
context (the settings of benchmarks/http_bench.py), first alone, then while --streams clients each generate
consult notes (an H & P from a registered transcript, read to the end, then a second's pause, as a person reads).
It reports requests/s and p50/p99 of the gets in both runs, their ratio, how long each note took to its first and
its last piece, and the CPU steal. With the server's default two request threads one stream at a time is paced and
the others go out at once (core/streams.py); `--threads N` paces N-1.

    .venv/bin/python benchmarks/stream_bench.py [--streams 5] [--pace 50] [--duration 10] [--warmup 2]

It prints a markdown table and writes no document (docs/performance.md quotes it). Server log and wrk reports go to
benchmarks/.work/streams/. Exit status 1 if a measured run saw a non-2xx answer or a socket error, or a stream
failed; 2 if the server or wrk failed.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field

from http_bench import (
    CONTEXTS,
    HOST,
    MOCKSERVER,
    ROOT,
    WORK,
    Server,
    call,
    create_body,
    ensure_wrk,
    free_port,
    parse_wrk,
    wait_until_serving,
    wrk,
)

OUT = WORK / "streams"
HEIDI = "/api/v2/ml-scribe/open-api"
API_KEY = "stream-bench"
H_AND_P = "659b8042fe093d6592b41ef7"
SAID = ("Patient has hypertension and type 2 diabetes. She takes lisinopril 10 mg daily and metformin 500 mg twice "
        "daily. Allergic to penicillin. Blood pressure 150/90. No chest pain. Plan: increase lisinopril to 20 mg "
        "daily and review in two weeks.")
AUDIO = ROOT / "mockserver" / "clinical" / "samples" / "consult.mp3"
THINK_SECONDS = 1.0
"""A client's pause after each note: people, not a load generator."""


@dataclass
class Streams:
    """Clients generating notes back to back until stopped; seconds to the first and the last piece of each."""

    base: str
    count: int
    first: list[float] = field(default_factory=list)
    whole: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Streams:
        session = _session(self.base)
        self._threads = [threading.Thread(target=self._loop, args=session, daemon=True) for _ in range(self.count)]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _loop(self, token: str, session_id: str) -> None:
        body = json.dumps({"generation_method": "TEMPLATE", "addition": "", "template_id": H_AND_P,
                           "voice_style": "GOLDILOCKS", "brain": "LEFT"}).encode()
        while not self._stop.is_set():
            request = urllib.request.Request(
                f"{self.base}{HEIDI}/sessions/{session_id}/consult-note", body, method="POST",
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=60) as answer:
                    answer.readline()
                    self.first.append(time.perf_counter() - started)
                    while answer.readline():
                        pass
                self.whole.append(time.perf_counter() - started)
            except OSError as error:
                self.failures.append(str(error))
                return
            self._stop.wait(THINK_SECONDS)


def _session(base: str) -> tuple[str, str]:
    """A JWT and a session holding the sample recording, whose transcript is registered."""
    request = urllib.request.Request(f"{base}{HEIDI}/jwt?email=bench@example.com&third_party_internal_id=bench",
                                     headers={"Heidi-Api-Key": API_KEY})
    token = json.loads(urllib.request.urlopen(request, timeout=10).read())["token"]
    audio = AUDIO.read_bytes()
    call("POST", f"{base}/_mock/tenants/{API_KEY}/transcripts",
         json.dumps({"audio_base64": base64.b64encode(audio).decode(), "text": SAID}).encode())
    auth = {"Authorization": f"Bearer {token}"}
    created = urllib.request.Request(f"{base}{HEIDI}/sessions", b"{}", method="POST",
                                     headers={**auth, "Content-Type": "application/json"})
    session_id = json.loads(urllib.request.urlopen(created, timeout=10).read())["session_id"]
    boundary = "streambench"
    form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"consult.mp3\"\r\n"
            f"Content-Type: audio/mpeg\r\n\r\n").encode() + audio + f"\r\n--{boundary}--\r\n".encode()
    upload = urllib.request.Request(f"{base}{HEIDI}/sessions/{session_id}/upload-audio", form, method="POST",
                                    headers={**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    urllib.request.urlopen(upload, timeout=10).read()
    return token, session_id


def steal() -> tuple[float, float]:
    """(steal, total) jiffies of all CPUs, from /proc/stat."""
    fields = [float(x) for x in open("/proc/stat").readline().split()[1:]]
    return fields[7], sum(fields)


def run(args: argparse.Namespace) -> int:
    ensure_wrk()
    OUT.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [str(MOCKSERVER), "serve", "--host", HOST, "--port", str(port), "--no-access-log",
            "--stream-pace", str(args.pace)] + (["--threads", str(args.threads)] if args.threads else [])
    with (OUT / "server.log").open("wb") as log_file:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT, cwd=ROOT,
                                start_new_session=True)
        try:
            base = f"http://{HOST}:{port}"
            wait_until_serving(proc, base, Server("streams", "streams", tuple(argv)))
            status, raw = call("POST", base + CONTEXTS, create_body("stream-bench"))
            if status != 200:
                print(f"creating the context answered {status}: {raw[:200]!r}", file=sys.stderr)
                return 2
            url = base + CONTEXTS + json.loads(raw)["id"]
            results, bad = {}, False
            for label, streams in (("alone", 0), (f"{args.streams} notes streaming", args.streams)):
                load = Streams(base, streams)
                with load:
                    time.sleep(1 if streams else 0)  # the streams under way
                    wrk(url, "get", args.warmup, f"warm-{streams}")
                    before = steal()
                    report = wrk(url, "get", args.duration, f"run-{streams}")
                    after = steal()
                (OUT / f"wrk-{streams}.txt").write_text(report, encoding="utf-8")
                figures = parse_wrk(report)
                figures["steal"] = 100 * (after[0] - before[0]) / max(1.0, after[1] - before[1])
                figures["load"] = load
                bad |= bool(figures["non_2xx"] or figures["socket_errors"] or load.failures)
                results[label] = figures
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"`mockserver serve --stream-pace {args.pace}`, gets of one Haidy context by wrk (-c16, {args.duration} s "
          f"after {args.warmup} s), alone and with {args.streams} clients generating H & P notes back to back:\n")
    print("| run | gets/s | p50 | p99 | notes read | first piece (median) | whole note (median) | steal |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, f in results.items():
        load = f["load"]
        first = f"{statistics.median(load.first) * 1000:.0f} ms" if load.first else "-"
        whole = f"{statistics.median(load.whole):.2f} s" if load.whole else "-"
        print(f"| {label} | {f['rps']:,.0f} | {f['p50_ms']:.1f} ms | {f['p99_ms']:.1f} ms | {len(load.whole)} | "
              f"{first} | {whole} | {f['steal']:.0f}% |")
    alone, loaded = results["alone"], results[f"{args.streams} notes streaming"]
    print(f"\nGets with notes streaming / alone: {loaded['rps'] / alone['rps']:.2f}x requests/s, "
          f"p99 {loaded['p99_ms']:.1f} ms against {alone['p99_ms']:.1f} ms.")
    for label, f in results.items():
        if f["load"].failures:
            print(f"{label}: {len(f['load'].failures)} stream(s) failed: {f['load'].failures[0]}", file=sys.stderr)
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=5)
    parser.add_argument("--pace", type=int, default=50, help="ms between pieces (serve's default)")
    parser.add_argument("--threads", type=int, help="the server's request threads (default: serve's)")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
