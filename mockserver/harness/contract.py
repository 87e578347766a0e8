"""`mockserver contract`: the mock's own schemas as a contract, checked against any server.

Runs schemathesis (every default check, positive and negative data, stateful through the
OpenAPI links) with the OpenAPI document of this mock against `--base-url`: a vendor sandbox,
a staging proxy or another mock. A failure is drift between that server and the vendor docs
as this mock encodes them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from mockserver import registry

BEYOND_SCHEMAS = ("400", "403", "404", "422")
"""What schema-valid input may legitimately get, where the operation documents it: ids and groups that do not
exist on that server (400/404) or belong to someone the caller may not see (403), content the vendors check
beyond any JSON Schema (422: the type of a base64 file, a birth date in the future). An operation documenting
none of them must accept valid input with a 2xx."""


def command(base_url: str, document: dict, workdir: Path, *, family: str | None, token: str, api_key: str,
            max_examples: int, junit: str | None, seed: int | None, phases: str | None = None) -> list[str]:
    """The schemathesis command line for one contract run (files it needs are written to `workdir`)."""
    spec = workdir / "openapi.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    config = workdir / "schemathesis.toml"
    config.write_text(_acceptance(document), encoding="utf-8")
    families = [registry.family(family)] if family else registry.FAMILIES
    cmd = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", str(spec),
           "--url", base_url.rstrip("/"), "--max-examples", str(max_examples), "--no-color",
           "--suppress-health-check", "all"]
    for header in dict.fromkeys(h.format(token=token, api_key=api_key) for f in families for h in f.credentials):
        cmd += ["--header", header]
    if family:
        cmd += ["--include-tag", family]
    if junit:
        cmd += ["--report", "junit", "--report-junit-path", junit]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    if phases:
        cmd += ["--phases", phases]
    return cmd


def _acceptance(document: dict) -> str:
    """schemathesis TOML: per operation, the statuses valid input may get (2xx and its documented BEYOND_SCHEMAS)."""
    lines = ['[checks.positive_data_acceptance]', 'expected-statuses = ["2xx"]']
    for item in document["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            statuses = ["2xx", *(code for code in BEYOND_SCHEMAS if code in operation.get("responses", {}))]
            lines += ["", "[[operations]]", f"include-operation-id = {json.dumps(operation['operationId'])}",
                      f"checks.positive_data_acceptance.expected-statuses = {json.dumps(statuses)}"]
    return "\n".join(lines) + "\n"


def run(base_url: str, *, family: str | None = None, token: str = "contract-token", api_key: str | None = None,
        max_examples: int = 20,
        junit: str | None = None, seed: int | None = None, phases: str | None = None) -> int:
    """Run the contract; schemathesis prints the report. Returns its exit code (0: no drift found)."""
    from mockserver.app import create_app

    if family and family not in registry.names():
        raise ValueError(f"unknown family {family!r}; choose one of {', '.join(registry.names())}")
    document = create_app().test_client().get("/openapi.json").get_json()
    with tempfile.TemporaryDirectory(prefix="mockserver-contract-") as tmp:
        cmd = command(base_url, document, Path(tmp), family=family, token=token, api_key=api_key or token,
                      max_examples=max_examples,
                      junit=junit, seed=seed, phases=phases)
        return subprocess.call(cmd)
