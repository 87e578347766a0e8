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

AUTH_HEADERS = {"haidy": "Authorization: Bearer {token}", "heidi": "Authorization: Bearer {token}",
                "esteem": "X-User-Token: {token}"}
ACCEPTED = ["2xx", "400", "404", "422"]
"""What schema-valid input may legitimately get: ids and groups that do not exist on that server (400/404),
and content the vendors check beyond any JSON Schema (422: the type of a base64 file, a birth date in the
future). Drift in what is accepted still shows as 5xx, 401/403, or answers outside the schemas."""


def command(base_url: str, document: dict, workdir: Path, *, family: str | None, token: str,
            max_examples: int, junit: str | None, seed: int | None, phases: str | None = None) -> list[str]:
    """The schemathesis command line for one contract run (files it needs are written to `workdir`)."""
    spec = workdir / "openapi.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    config = workdir / "schemathesis.toml"
    config.write_text(f"[checks.positive_data_acceptance]\nexpected-statuses = {json.dumps(ACCEPTED)}\n", encoding="utf-8")
    families = [family] if family else sorted(AUTH_HEADERS)
    cmd = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", str(spec),
           "--url", base_url.rstrip("/"), "--max-examples", str(max_examples), "--no-color",
           "--suppress-health-check", "all"]
    for header in dict.fromkeys(AUTH_HEADERS[f].format(token=token) for f in families):
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


def run(base_url: str, *, family: str | None = None, token: str = "contract-token", max_examples: int = 20,
        junit: str | None = None, seed: int | None = None, phases: str | None = None) -> int:
    """Run the contract; schemathesis prints the report. Returns its exit code (0: no drift found)."""
    from mockserver.app import create_app

    document = create_app().test_client().get("/openapi.json").get_json()
    if family and family not in AUTH_HEADERS:
        raise ValueError(f"unknown family {family!r}; choose one of {', '.join(AUTH_HEADERS)}")
    with tempfile.TemporaryDirectory(prefix="mockserver-contract-") as tmp:
        cmd = command(base_url, document, Path(tmp), family=family, token=token, max_examples=max_examples,
                      junit=junit, seed=seed, phases=phases)
        return subprocess.call(cmd)
