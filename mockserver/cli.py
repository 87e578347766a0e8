"""The `mockserver` command: serve the fake, print its OpenAPI document."""

from __future__ import annotations

import argparse
import json
import sys

from mockserver.config import MB, Config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mockserver", description="Stateful mock of clinical APIs.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the mock server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--auth", choices=("open", "strict"), default="open",
                       help="open: any non-empty token is its own tenant; strict: only tokens from --config")
    serve.add_argument("--config", dest="tenants_file", metavar="FILE", help="tenants file (JSON)")
    serve.add_argument("--max-body-mb", type=float, default=50, help="largest request body (413 above)")
    serve.add_argument("--max-file-mb", type=float, default=20, help="largest uploaded file (refused above)")
    serve.add_argument("--cors-origin", action="append", dest="cors_origins", metavar="ORIGIN",
                       help="allowed CORS origin (repeatable; default: any)")
    serve.add_argument("--server", choices=("granian", "waitress"), default="granian")
    serve.add_argument("--threads", type=int, default=4, help="request threads")
    serve.add_argument("--validate-responses", action="store_true",
                       help="check every response against its schema (slower; for debugging the mock)")
    serve.add_argument("--no-access-log", dest="access_log", action="store_false", help="no line per request")
    serve.add_argument("--jwt-secret", help="HS256 key of Heidi JWTs (default: random per start)")
    serve.add_argument("--jwt-lifetime", dest="jwt_lifetime_seconds", type=int, default=3600, metavar="SECONDS",
                       help="how long a Heidi JWT from GET /jwt stays valid")

    commands.add_parser("openapi", help="print the OpenAPI document of the vendor APIs")

    coverage = commands.add_parser("coverage", help="which documented operations and statuses a running mock has seen")
    coverage.add_argument("--base-url", default="http://127.0.0.1:8080", help="the running mock")
    coverage.add_argument("--json", action="store_true", help="print JSON instead of a table")

    args = parser.parse_args(argv)
    if args.command == "coverage":
        return _coverage(args.base_url, args.json)
    if args.command == "openapi":
        from mockserver.app import create_app

        json.dump(create_app().test_client().get("/openapi.json").json, sys.stdout, indent=2)
        print()
        return 0

    try:
        config = Config(auth=args.auth, tenants_file=args.tenants_file, max_body_bytes=int(args.max_body_mb * MB),
                        max_file_bytes=int(args.max_file_mb * MB), cors_origins=args.cors_origins or ["*"],
                        validate_responses=args.validate_responses, access_log=args.access_log,
                        jwt_secret=args.jwt_secret, jwt_lifetime_seconds=args.jwt_lifetime_seconds)
    except ValueError as exc:
        parser.error(str(exc))
    from mockserver.server import serve as run

    run(config, args.host, args.port, server=args.server, threads=args.threads)
    return 0


def _coverage(base_url: str, as_json: bool) -> int:
    import urllib.request

    from mockserver.coverage import CoverageReport

    def fetch(path: str):
        with urllib.request.urlopen(base_url.rstrip("/") + path, timeout=30) as response:
            return json.load(response)

    report = CoverageReport.build(fetch("/openapi.json"), fetch("/_mock/requests"))
    print(json.dumps(report.to_json(), indent=2) if as_json else report.render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
