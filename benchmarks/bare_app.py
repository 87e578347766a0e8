"""The ceiling for benchmarks/http_bench.py: a bare Flask app with one constant JSON route.

It is served exactly as `mockserver serve` serves mockserver (see mockserver/harness/server.py): one
granian worker, WSGI, a pool of blocking threads, no access log; or waitress with the same
thread count. Whatever mockserver is slower than this is mockserver's own per-request work.

    python benchmarks/bare_app.py --server granian --port 8081 --threads 4
"""

from __future__ import annotations

import argparse
from pathlib import Path

from flask import Flask, Response

BODY = b'{"id":"ctx_abc123def456","external_id":"patient-12345","patient_group":"sqmcrfbv6fx4g04"}'
"""Constant, pre-encoded and about as large as a patient context: no JSON encoding per request."""

app = Flask("bare")


@app.route("/bare", methods=["GET", "POST"])
def bare() -> Response:
    """Answer GET and POST alike, so creates and gets both have a ceiling to compare with."""
    return Response(BODY, mimetype="application/json")


def serve(server: str, host: str, port: int, threads: int) -> None:
    """Mirror mockserver.harness.server.serve's settings for each server, minus mockserver itself."""
    if server == "granian":
        from granian import Granian

        Granian("bare_app:app", address=host, port=port, interface="wsgi", workers=1, blocking_threads=threads,
                log_access=False, log_level="warning", working_dir=Path(__file__).resolve().parent).serve()
    else:
        import waitress

        waitress.serve(app, host=host, port=port, threads=threads, _quiet=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=("granian", "waitress"), default="granian")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    serve(args.server, args.host, args.port, args.threads)


if __name__ == "__main__":
    main()
