"""The JavaScript examples of haidy-analyst-structure.txt, run with node and axios against `mockserver serve`.

Only the base URL changes: api.44ai.ch becomes the mock. The documents the examples post on example.com are
the mock's own samples (mockserver/haidy/analyst/samples/, tests in test_samples.py).
The doc's text breaks off inside examples 2 and 4; their code is run verbatim as far as it goes,
followed by a completion marked as ours (poll the task; call the function). The doc is read from its
verbatim copy, tests/haidy/doc_examples/haidy-analyst-structure.txt (tests/test_vendor_docs.py compares
that with the vendor's).
"""

import json
import os
import shutil
import subprocess

import pytest
import requests

from tests.support import DOC_COPIES, ROOT, Served, unless_installed

DOC = DOC_COPIES["haidy"] / "haidy-analyst-structure.txt"
JS = ROOT / "tests" / "js"
NODE = shutil.which("node")
pytestmark = unless_installed(
    NODE is None or not (JS / "node_modules" / "axios").is_dir(),
    reason="node and tests/js/node_modules (make system-deps) are needed",
)

LINES = DOC.read_text(encoding="utf-8").splitlines()


def between(start: str, end: str, *, after: str | None = None, include_end: bool = False) -> list[str]:
    first = LINES.index(after) if after else 0
    i = LINES.index(start, first)
    j = LINES.index(end, i)
    return LINES[i : j + 1 if include_end else j]


EXAMPLE_1 = between('import fs from "fs";', "Example 2: Structure to FHIR Bundle",
                    after="### Example 1: Structure Documents to HolisticPatient")
EXAMPLE_2 = between('import axios from "axios";', "// Poll for FHIR Bundle",
                    after="Example 2: Structure to FHIR Bundle", include_end=True) + [
    "// --- completion by mockserver's tests: the doc's text breaks off here ---",
    "let status = null, result = null;",
    'while (status !== "DONE" && status !== "FAILED") {',
    "await new Promise((r) => setTimeout(r, 300));",
    'const poll = await axios.post("https://api.44ai.ch/v2/tasks", { task_id },',
    "{ headers: { Authorization: `Bearer ${TOKEN}` } });",
    "({ status, result } = poll.data);",
    "}",
    "console.log(JSON.stringify({ status, result }));",
    "}",
    "await structureToFhirExample();",
]
EXAMPLE_4 = ['import axios from "axios";  // completion: the doc\'s snippet uses axios without importing it',
             "const TOKEN = process.env.API_TOKEN;  // completion, as in the other examples"] + between(
    "async function mixedInputExample() {", "// Process task...", include_end=True) + [
    "}  // the doc's closing brace, on a line of its own",
    "// --- completion by mockserver's tests: call it ---",
    "await mixedInputExample();",
    'console.log("created");',
]


@pytest.fixture(scope="module")
def fast_mock():
    server = Served("--task-seconds", "1")
    yield server
    server.stop()


def run_js(lines: list[str], mock: Served, token: str) -> subprocess.CompletedProcess:
    code = "\n".join(lines).replace("https://api.44ai.ch", mock.url)
    run_dir = JS / ".run"
    run_dir.mkdir(exist_ok=True)
    script = run_dir / f"{token}.mjs"
    script.write_text(code, encoding="utf-8")
    return subprocess.run([NODE, str(script)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "API_TOKEN": token})


def test_examples_are_taken_from_the_doc():
    assert EXAMPLE_1[0] == 'import fs from "fs";' and EXAMPLE_1[-1] == "});"
    assert "structureToFhirExample" in EXAMPLE_2[2] and "mixedInputExample" in EXAMPLE_4[2]


def test_example_1_documents_to_holistic_patient(fast_mock):
    done = run_js(EXAMPLE_1, fast_mock, "js-example-1")
    assert done.returncode == 0, done.stderr
    assert "Task created:" in done.stdout and "Structure extraction complete!" in done.stdout
    assert "Found 1 unique medications" in done.stdout and "Found 1 unique conditions" in done.stdout
    assert done.stdout.rstrip().endswith("Success!")
    statuses = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("Status:")]
    assert statuses[-1] == "DONE" and "QUEUED" not in statuses[1:]


def test_example_2_structure_to_fhir_bundle(fast_mock):
    done = run_js(EXAMPLE_2, fast_mock, "js-example-2")
    assert done.returncode == 0, done.stderr
    final = json.loads(done.stdout.splitlines()[-1])
    assert final["status"] == "DONE"
    bundle = final["result"]
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    kinds = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {"Patient", "DocumentReference", "Condition"} <= kinds
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    assert patient["birthDate"] == "1990-01-01"


def test_example_4_mixed_inputs(fast_mock):
    done = run_js(EXAMPLE_4, fast_mock, "js-example-4")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "created"
    journal = requests.get(f"{fast_mock.url}/_mock/requests",
                           params={"path": "/v2/structure", "reveal": "true"}).json()  # the tokens as sent
    created = [e for e in journal if e["request_headers"].get("Authorization") == "Bearer js-example-4"]
    assert created[-1]["status"] == 200
    task = json.loads(created[-1]["response_body"])
    assert task["status"] == "QUEUED"
