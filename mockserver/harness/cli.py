"""The `mockserver` command: serve the fake, print its OpenAPI document."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from mockserver import registry
from mockserver.core.config import MB, Config
from mockserver.harness.dataset import Options
from mockserver.harness.server import THREADS

STREAM_PACE_MS = 50
"""`serve`'s pause between streamed pieces of a few words each: about the pace a language model writes at."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mockserver", description="Stateful mock of clinical APIs.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the mock server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--auth", choices=("open", "strict"), default="open",
                       help="open: any non-empty token is its own tenant; strict: only tokens from --config")
    serve.add_argument("--config", dest="tenants_file", metavar="FILE", help="tenants file (JSON)")
    start = serve.add_mutually_exclusive_group()
    start.add_argument("--state", dest="state_file", metavar="FILE",
                       help="start from this state export (e.g. from `mockserver seed`); reset returns to it")
    start.add_argument("--fixtures", metavar="NAME_OR_DIR",
                       help="start from a data set: one shipped with mockserver (demo) or a directory made by "
                            "`mockserver fixtures`; reset returns to it")
    serve.add_argument("--snapshot", metavar="FILE",
                       help="keep the state in this file: written every --snapshot-every seconds (when it changed) "
                            "and on Ctrl-C, read back on the next start; reset still returns to the start state")
    serve.add_argument("--snapshot-every", dest="snapshot_seconds", type=float, default=30.0, metavar="SECONDS",
                       help="with --snapshot: how often to write it (default 30; 0: only on stop)")
    serve.add_argument("--store", metavar="redis://HOST:PORT/DB",
                       help="keep every piece of state in this Redis (add ?prefix=NAME to share one Redis between "
                            "mocks): every worker and host given the same URL serves one world, and it survives a "
                            "restart (default: this process's memory)")
    serve.add_argument("--workers", type=_positive, default=1,
                       help="server processes (granian); more than one needs --store (default 1)")
    serve.add_argument("--max-body-mb", type=float, default=50, help="largest request body (413 above)")
    serve.add_argument("--max-file-mb", type=float, default=20, help="largest uploaded file (refused above)")
    serve.add_argument("--cors-origin", action="append", dest="cors_origins", metavar="ORIGIN",
                       help="an origin whose pages may call the vendor APIs (CORS; repeatable; default: any)")
    serve.add_argument("--admin-origin", action="append", dest="admin_origins", default=[], metavar="ORIGIN",
                       help="an origin besides the server's own whose pages may call the admin API and the console "
                            "(repeatable; default: none)")
    serve.add_argument("--admin-token", action="append", dest="admin_tokens", default=[], metavar="TOKEN",
                       help="with --auth strict: a token that opens the admin API and the console (repeatable; "
                            "also \"admin_tokens\" in the tenants file)")
    serve.add_argument("--latency", type=_latency, metavar="DURATION",
                       help="added to every vendor answer: fixed (250ms, 1.5s) or a uniform random range "
                            "(100-400ms, 0.5-2s); the admin API changes it at run time (/_mock/latency)")
    serve.add_argument("--stream-pace", dest="stream_piece_ms", type=int, default=STREAM_PACE_MS, metavar="MS",
                       help=f"pause between the pieces of a streamed answer, such as Heidi's consult note "
                            f"(default {STREAM_PACE_MS}, a model's writing pace; 0: at once). One stream fewer than "
                            "--threads is paced at a time; others go out at once")
    serve.add_argument("--task-timing", choices=("realtime", "per-poll", "instant"), default="realtime",
                       help="how structure tasks advance: on the clock, one status per poll, or at once")
    serve.add_argument("--task-retention", choices=("once", "keep"), default="once",
                       help="once: a finished task answers 404 after the poll that reported it (documented)")
    serve.add_argument("--task-seconds", type=float, default=3.0, help="realtime: seconds from QUEUED to DONE")
    serve.add_argument("--allow-url-host", action="append", dest="allowed_url_hosts", default=[], metavar="HOST",
                       help="a host structure tasks may download documents from (repeatable; loopback always)")
    serve.add_argument("--server", choices=("granian", "waitress"), default="granian")
    serve.add_argument("--threads", type=int, default=THREADS,
                       help=f"request threads (default {THREADS}: a slow answer, from --latency or a fault rule, "
                            "does not hold the others)")
    serve.add_argument("--validate-responses", action="store_true",
                       help="check every response against its schema (slower; for debugging the mock)")
    serve.add_argument("--no-access-log", dest="access_log", action="store_false", help="no line per request")
    serve.add_argument("--jwt-secret", help="HS256 key of Heidi JWTs (default: random per start)")
    serve.add_argument("--jwt-lifetime", dest="jwt_lifetime_seconds", type=int, default=3600, metavar="SECONDS",
                       help="how long a Heidi JWT from GET /jwt stays valid")
    serve.add_argument("--no-heidi-examples", dest="heidi_doc_examples", action="store_false",
                       help="new Heidi API users start empty, without the docs' example profile and sessions")

    commands.add_parser("openapi", help="print the OpenAPI document of the vendor APIs")

    seed = commands.add_parser("seed", help="print a state export with a populated Esteem world, for serve --state")
    seed.add_argument("--seed", type=int, default=1, help="the same seed and --until give the same world")
    seed.add_argument("--until", type=date.fromisoformat, default=date.today(), metavar="YYYY-MM-DD",
                      help="the seeded world's today: the newest readings are from this day (default: today)")
    seed.add_argument("--practices", type=_positive, default=3, help="practices, each with a supervisor and two users")
    seed.add_argument("--patients-per-practice", type=_positive, default=12)
    seed.add_argument("--output", "-o", type=argparse.FileType("w", encoding="utf-8"), default=sys.stdout,
                      metavar="FILE", help="write here instead of to stdout")

    fixtures = commands.add_parser(
        "fixtures", help="write a synthetic data set (state.json, documents/) for serve --fixtures DIR")
    fixtures.add_argument("--output", "-o", type=Path, required=True, metavar="DIR",
                          help="a new directory, or one holding a data set, which is replaced")
    fixtures.add_argument("--seed", type=int, default=Options.seed,
                          help="the same seed and --until give the same files")
    fixtures.add_argument("--until", type=date.fromisoformat, default=Options.until, metavar="YYYY-MM-DD",
                          help=f"the data set's today (default {Options.until}, the shipped demo's)")
    fixtures.add_argument("--people", type=_positive, default=Options.people,
                          help="people, each in all three families, with their documents")

    from mockserver.harness.contract import DEFAULT_EMAIL, DEFAULT_TOKEN, DEFAULT_USER_ID

    contract = commands.add_parser(
        "contract", help="check any server against the vendor contract (schemathesis)",
        description="Exit 0: no drift found; 1: failures (drift) or errors (e.g. the server is unreachable), "
                    "listed in the report; 2: the run could not start (bad options, no Heidi JWT). Against a "
                    "mockserver in open auth, the invalid-authentication check is left out (any token is accepted).")
    contract.add_argument("--base-url", required=True, help="the server to check, e.g. http://127.0.0.1:8080")
    contract.add_argument("--family", choices=registry.names(), help="only this API family")
    contract.add_argument("--token",
                          help=f"credential sent as the family's auth header (default {DEFAULT_TOKEN}); for heidi a "
                               "JWT, which the command gets itself from GET /jwt when only --api-key is given")
    contract.add_argument("--api-key", help="Heidi-Api-Key: without --token, exchanged for the JWT Heidi's operations "
                                            "send (default: the token, which a mock in open auth accepts)")
    contract.add_argument("--email", default=DEFAULT_EMAIL, help="the user a Heidi JWT acts for: email")
    contract.add_argument("--user-id", default=DEFAULT_USER_ID,
                          help="the user a Heidi JWT acts for: third_party_internal_id")
    contract.add_argument("--max-examples", type=_positive, default=20, help="generated cases per operation")
    contract.add_argument("--junit", metavar="FILE", help="also write JUnit XML here, for CI")
    contract.add_argument("--seed", type=int, help="reproduce a run")
    contract.add_argument("--phases", help="schemathesis phases, e.g. examples,fuzzing,stateful (default: all)")
    contract.add_argument("--workdir", type=Path, metavar="DIR",
                          help="where schemathesis runs and keeps its files and cache (default: a temporary folder)")

    coverage = commands.add_parser("coverage", help="which documented operations and statuses a running mock has seen")
    coverage.add_argument("--base-url", default="http://127.0.0.1:8080", help="the running mock")
    coverage.add_argument("--json", action="store_true", help="print JSON instead of a table")
    coverage.add_argument("--admin-token", help="the mock's admin token, where it runs --auth strict")

    args = parser.parse_args(argv)
    if args.command == "contract":
        from mockserver.harness import contract as contract_run

        return contract_run.run(args.base_url, family=args.family, token=args.token, api_key=args.api_key,
                                email=args.email, user_id=args.user_id, max_examples=args.max_examples,
                                junit=args.junit, seed=args.seed, phases=args.phases, workdir=args.workdir)
    if args.command == "coverage":
        return _coverage(args.base_url, args.json, args.admin_token)
    if args.command == "seed":
        return _seed(args)
    if args.command == "fixtures":
        return _fixtures(args, fixtures)
    if args.command == "openapi":
        from mockserver.app import create_app

        json.dump(create_app().test_client().get("/openapi.json").json, sys.stdout, indent=2)
        print()
        return 0

    try:
        config = Config(auth=args.auth, tenants_file=args.tenants_file, max_body_bytes=int(args.max_body_mb * MB),
                        max_file_bytes=int(args.max_file_mb * MB), cors_origins=args.cors_origins or ["*"],
                        validate_responses=args.validate_responses, access_log=args.access_log,
                        jwt_secret=args.jwt_secret, jwt_lifetime_seconds=args.jwt_lifetime_seconds,
                        heidi_doc_examples=args.heidi_doc_examples,
                        state_file=args.state_file, fixtures=args.fixtures, task_timing=args.task_timing,
                        stream_piece_ms=args.stream_piece_ms,
                        task_retention=args.task_retention, task_seconds=args.task_seconds,
                        allowed_url_hosts=args.allowed_url_hosts, admin_origins=args.admin_origins,
                        admin_tokens=args.admin_tokens, latency=args.latency, snapshot=args.snapshot,
                        snapshot_seconds=args.snapshot_seconds, store=args.store)
        if args.workers > 1 and (not args.store or args.server != "granian"):
            raise ValueError("--workers above 1 needs --store (one world for every worker) and the granian server")
        from mockserver.app import create_app
        from mockserver.core.shared import UNAVAILABLE

        try:
            app = create_app(config)  # a tenants or state file it cannot load: a usage error now, not a failing server
        except UNAVAILABLE as exc:
            raise ValueError(f"the store {args.store} does not answer: {exc}") from None
    except (OSError, ValueError) as exc:
        parser.error(str(exc))
    from mockserver.harness.banner import render
    from mockserver.harness.server import serve as run

    banner = render(app.extensions["mockserver"], args.host, args.port, args.server)
    run(config, args.host, args.port, server=args.server, threads=args.threads, workers=args.workers, banner=banner)
    return 0


def _latency(text: str) -> str:
    from mockserver.core import latency

    try:
        latency.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _seed(args: argparse.Namespace) -> int:
    from mockserver.esteem.seed import SeedOptions, seed_state

    options = SeedOptions(until=args.until, seed=args.seed, practices=args.practices,
                          patients_per_practice=args.patients_per_practice)
    json.dump(seed_state(options), args.output, separators=(",", ":"))
    args.output.write("\n")
    return 0


def _fixtures(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from mockserver.harness.dataset.build import build, write

    try:
        write(build(Options(seed=args.seed, until=args.until, people=args.people)), args.output)
    except FileExistsError as exc:
        parser.error(str(exc))
    return 0


def _coverage(base_url: str, as_json: bool, admin_token: str | None = None) -> int:
    import urllib.error
    import urllib.request

    from mockserver.control.coverage import CoverageReport

    def fetch(path: str):
        headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
        with urllib.request.urlopen(urllib.request.Request(base_url.rstrip("/") + path, headers=headers),
                                    timeout=30) as response:
            return json.load(response)

    try:
        report = CoverageReport.build(fetch("/openapi.json"), fetch("/_mock/requests"))
    except urllib.error.HTTPError as exc:
        hint = " (a mock in strict auth: give its --admin-token)" if exc.code == 401 else ""
        print(f"mockserver coverage: {exc.url} answered {exc.code}: {exc.read()[:300].decode('utf-8', 'replace')}"
              f"{hint}", file=sys.stderr)
        return 1
    print(json.dumps(report.to_json(), indent=2) if as_json else report.render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
