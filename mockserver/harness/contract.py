"""`mockserver contract`: the mock's own schemas as a contract, checked against any server.

Runs schemathesis (every default check, positive and negative data, stateful through the
OpenAPI links) with the OpenAPI document of this mock against `--base-url`: a vendor sandbox,
a staging proxy or another mock. A failure is drift between that server and the vendor docs
as this mock encodes them.

Two things are decided before schemathesis starts:

- a mockserver in open auth (its `/_mock/health` says `"auth": "open"`) accepts any token by design, so the
  check that invalid credentials are refused (`ignored_auth`) is left out against it, and said so;
- for Heidi, an API key without an explicit token is exchanged for a JWT (`GET /jwt`), which Heidi's
  operations then carry as their bearer token, as a client of the real API does.

schemathesis runs in a working directory of its own (a temporary one, or `--workdir`), so its cache
(`.schemathesis/`) never lands in the caller's tree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from mockserver import heidi, registry
from mockserver.harness import contract_hooks

BEYOND_SCHEMAS = ("400", "403", "404", "422")
"""What schema-valid input may legitimately get, where the operation documents it: ids and groups that do not
exist on that server (400/404) or belong to someone the caller may not see (403), content the vendors check
beyond any JSON Schema (422: the type of a base64 file, a birth date in the future). An operation documenting
none of them must accept valid input with a 2xx."""

DEFAULT_TOKEN = "contract-token"
DEFAULT_EMAIL = "contract@example.com"
DEFAULT_USER_ID = "mockserver-contract"
"""Who the Heidi JWT acts for when the command obtains one (`--email`, `--user-id`)."""
OPEN_AUTH_CHECK = "ignored_auth"
"""schemathesis' check that a request with missing or invalid credentials is refused."""
HEIDI = heidi.FAMILY.name
EXIT_NO_JWT = 2
"""Exit code when no Heidi JWT could be obtained: the contract did not run."""


class ContractSetupError(Exception):
    """The contract cannot start (no JWT for Heidi); the message says why, for the terminal."""


def command(base_url: str, document: dict, workdir: Path, *, family: str | None, token: str, api_key: str,
            max_examples: int, junit: str | None, seed: int | None, phases: str | None = None,
            tokens: dict[str, str] | None = None, exclude_checks: tuple[str, ...] = ()) -> list[str]:
    """The schemathesis command line for one contract run (files it needs are written to `workdir`).

    The families' credentials (`token`, `api_key`) are the run's headers; a family with a token of its own in
    `tokens` (Heidi's JWT) sends that instead, set on its operations in the config file."""
    tokens = {name: value for name, value in (tokens or {}).items() if family in (None, name)}
    spec = workdir / "openapi.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    config = workdir / "schemathesis.toml"
    own = {name: _headers(registry.family(name).credentials, value, api_key) for name, value in tokens.items()}
    config.write_text(_acceptance(document, own), encoding="utf-8")
    families = [registry.family(family)] if family else registry.FAMILIES
    cmd = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", str(spec),
           "--url", base_url.rstrip("/"), "--max-examples", str(max_examples), "--no-color",
           "--suppress-health-check", "all"]
    run_token = tokens.get(family, token) if family else token
    for header in dict.fromkeys(h.format(token=run_token, api_key=api_key) for f in families for h in f.credentials):
        cmd += ["--header", header]
    if family:
        cmd += ["--include-tag", family]
    if exclude_checks:
        cmd += ["--exclude-checks", ",".join(exclude_checks)]
    if junit:
        cmd += ["--report", "junit", "--report-junit-path", str(Path(junit).resolve())]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    if phases:
        cmd += ["--phases", phases]
    return cmd


def _headers(templates: tuple[str, ...], token: str, api_key: str) -> dict[str, str]:
    pairs = (template.format(token=token, api_key=api_key).split(":", 1) for template in templates)
    return {name.strip(): value.strip() for name, value in pairs}


def _acceptance(document: dict, credentials: dict[str, dict[str, str]] | None = None) -> str:
    """schemathesis TOML: per operation, the statuses valid input may get (2xx and its documented BEYOND_SCHEMAS),
    and `credentials` of its family (its tag) where that family has headers of its own."""
    lines = ['[checks.positive_data_acceptance]', 'expected-statuses = ["2xx"]']
    for item in document["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            statuses = ["2xx", *(code for code in BEYOND_SCHEMAS if code in operation.get("responses", {}))]
            lines += ["", "[[operations]]", f"include-operation-id = {json.dumps(operation['operationId'])}",
                      f"checks.positive_data_acceptance.expected-statuses = {json.dumps(statuses)}"]
            headers = {k: v for tag in operation.get("tags", []) for k, v in (credentials or {}).get(tag, {}).items()}
            if headers:
                lines.append("headers = {" + ", ".join(f"{json.dumps(k)} = {json.dumps(v)}"
                                                       for k, v in headers.items()) + "}")
    return "\n".join(lines) + "\n"


def mock_auth(base_url: str, timeout: float = 10.0) -> str | None:
    """"open" or "strict" when `base_url` is a mockserver (its `GET /_mock/health` says so), else None."""
    base = base_url.rstrip("/")
    parts = urllib.parse.urlsplit(base)
    origin = f"{parts.scheme}://{parts.netloc}"
    for url in dict.fromkeys((f"{base}/_mock/health", f"{origin}/_mock/health")):
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                health = json.load(response)
        except (OSError, ValueError):  # no such endpoint, not JSON, not reachable: not a mock
            continue
        if isinstance(health, dict) and health.get("auth") in ("open", "strict"):
            return health["auth"]
    return None


def heidi_jwt(base_url: str, api_key: str, *, email: str = DEFAULT_EMAIL, user_id: str = DEFAULT_USER_ID,
              timeout: float = 30.0) -> str:
    """A JWT from Heidi's `GET /jwt` under `base_url` (its API base path added unless the URL ends with it)."""
    base = base_url.rstrip("/")
    root = base if base.endswith(heidi.BASE_PATH) else base + heidi.BASE_PATH
    query = urllib.parse.urlencode({"email": email, "third_party_internal_id": user_id})
    url = f"{root}/jwt?{query}"
    request = urllib.request.Request(url, headers={"Heidi-Api-Key": api_key, "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:300].decode("utf-8", "replace").strip()
        hint = " (is --api-key one this server knows?)" if exc.code in (401, 403) else ""
        raise ContractSetupError(f"could not get a Heidi JWT from GET {url}: HTTP {exc.code}"
                                 + (f" {detail}" if detail else "") + hint) from None
    except (urllib.error.URLError, OSError) as exc:
        raise ContractSetupError(f"could not get a Heidi JWT from GET {url}: {getattr(exc, 'reason', exc)}") from None
    try:
        token = json.loads(body)["token"]
    except (ValueError, KeyError, TypeError):
        token = None
    if not isinstance(token, str) or not token:
        raise ContractSetupError(f"could not get a Heidi JWT from GET {url}: the answer has no token: {body[:300]!r}")
    return token


def run(base_url: str, *, family: str | None = None, token: str | None = None, api_key: str | None = None,
        email: str = DEFAULT_EMAIL, user_id: str = DEFAULT_USER_ID, max_examples: int = 20,
        junit: str | None = None, seed: int | None = None, phases: str | None = None,
        workdir: str | Path | None = None) -> int:
    """Run the contract; schemathesis prints the report. Returns its exit code (0: no drift found), or
    EXIT_NO_JWT when Heidi's JWT could not be obtained."""
    from mockserver.app import create_app

    if family and family not in registry.names():
        raise ValueError(f"unknown family {family!r}; choose one of {', '.join(registry.names())}")
    base = base_url.rstrip("/")
    exclude: tuple[str, ...] = ()
    if mock_auth(base) == "open":
        print(f"mockserver contract: {base} is a mockserver in open auth, which accepts any token by design; "
              f"leaving out the invalid-authentication check ({OPEN_AUTH_CHECK}). "
              "Run against `mockserver serve --auth strict` to include it.", flush=True)
        exclude = (OPEN_AUTH_CHECK,)
    tokens = {}
    if api_key and token is None and family in (None, HEIDI):
        try:
            tokens[HEIDI] = heidi_jwt(base, api_key, email=email, user_id=user_id)
        except ContractSetupError as exc:
            print(f"mockserver contract: {exc}", file=sys.stderr, flush=True)
            return EXIT_NO_JWT
        print(f"mockserver contract: Heidi's operations use a JWT from GET /jwt for {email} ({user_id})", flush=True)
    token = token or DEFAULT_TOKEN
    document = create_app().test_client().get("/openapi.json").get_json()
    with tempfile.TemporaryDirectory(prefix="mockserver-contract-") as tmp:
        where = Path(workdir).resolve() if workdir else Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        cmd = command(base, document, where, family=family, token=token, api_key=api_key or token,
                      max_examples=max_examples, junit=junit, seed=seed, phases=phases, tokens=tokens,
                      exclude_checks=exclude)
        hooks = {"SCHEMATHESIS_HOOKS": contract_hooks.__name__}  # streamed answers are checked line by line
        return subprocess.call(cmd, cwd=where, env={**os.environ, **hooks})
