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

    commands.add_parser("openapi", help="print the OpenAPI document of the vendor APIs")

    args = parser.parse_args(argv)
    if args.command == "openapi":
        from mockserver.app import create_app

        json.dump(create_app().test_client().get("/openapi.json").json, sys.stdout, indent=2)
        print()
        return 0

    try:
        config = Config(auth=args.auth, tenants_file=args.tenants_file, max_body_bytes=int(args.max_body_mb * MB),
                        max_file_bytes=int(args.max_file_mb * MB), cors_origins=args.cors_origins or ["*"],
                        validate_responses=args.validate_responses, access_log=args.access_log)
    except ValueError as exc:
        parser.error(str(exc))
    from mockserver.server import serve as run

    run(config, args.host, args.port, server=args.server, threads=args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
