"""Tools nobody here wrote, run against the mock's two OpenAPI documents (/openapi.json and /_mock/openapi.json).

- Spectral, with its own `spectral:oas` ruleset (contracts/tools/.spectral.yaml), and Redocly's `lint`, with its
  recommended rules (contracts/tools/redocly.yaml, where a rule is adjusted only with its reason), find no error
  in either document, and no warning but those TOLERATED names, each with its reason and the place it applies.
- Prism's validation proxy stands between a client and the real `mockserver serve`: a scripted session of each
  family goes through it, and Prism finds nothing wrong with any request or response. Run without `--errors`,
  Prism forwards every request and lists what it found in an `sl-violations` response header: request and
  response violations alike, and "Selected route not found" for a request it could not match to the document
  (a request it could not check at all). Every answer must come without that header, with the status the step
  expects, and from the mock itself: the mock's journal must show exactly the session's requests.

The tools are pinned in contracts/tools/package-lock.json; `make system-deps` installs them (`npm ci`). Without node
or those node_modules the tests are skipped, except under CI, where they must run.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from contracts.support import open_app
from tests.heidi.support import BASE as HEIDI_BASE
from tests.support import GROUP, ROOT, Served, free_port, make_pdf, unless_installed

TOOLS = ROOT / "contracts" / "tools"
NODE_BIN = TOOLS / "node_modules" / ".bin"
NODE = shutil.which("node")
pytestmark = unless_installed(
    NODE is None or not all((NODE_BIN / tool).exists() for tool in ("spectral", "redocly", "prism")),
    reason="node and contracts/tools/node_modules (make system-deps) are needed",
)

DOCUMENTS = {"vendor": "/openapi.json", "admin": "/_mock/openapi.json"}
TOOL_ENV = {
    **os.environ,
    "REDOCLY_TELEMETRY": "off",  # no usage data sent (redocly.com/docs/cli/usage-data)
    "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",  # no look-up of the latest version on the npm registry
    "NO_COLOR": "1",
}


# -- the linters -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tolerated:
    """A warning a linter may give, with why; only where the JSON pointer of its place matches `where` (a glob)."""

    tool: str
    rule: str
    where: str
    reason: str

    def covers(self, tool: str, problem: Problem) -> bool:
        return (tool == self.tool and problem.rule == self.rule and problem.severity == "warn"
                and fnmatchcase(problem.pointer, self.where))


TRAILING_SLASH = "#/paths/~1v2~1patient-contexts~1"
TOLERATED = [
    Tolerated("spectral", "path-keys-no-trailing-slash", TRAILING_SLASH,
              "Haidy documents POST/GET /v2/patient-contexts/ with its trailing slash (haidy-patient-contexts.txt)"),
    Tolerated("redocly", "no-path-trailing-slash", TRAILING_SLASH,
              "the same documented path; redocly.yaml downgrades the rule to a warning for it"),
    Tolerated("spectral", "operation-description", "#/paths/*",
              "style: every operation has a summary; a description is written where the behaviour needs one"),
    Tolerated("spectral", "info-contact", "#/info", "style: a mock of other vendors' APIs has no API support contact"),
    Tolerated("redocly", "operation-4xx-response", "#/paths/~1_mock~1*",
              "admin operations that take no input (health, reset, reading state, clock or faults, emptying the "
              "journal) cannot fail"),
]


@dataclass(frozen=True)
class Problem:
    rule: str
    severity: str  # error, warn, info or hint
    pointer: str  # a JSON pointer into the document, "#/paths/~1v2~1tasks/post"
    message: str

    def __str__(self) -> str:
        return f"{self.severity:5} {self.rule}: {self.pointer}: {self.message}"


def json_pointer(parts) -> str:
    return "#" + "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def untolerated(tool: str, problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if not any(t.covers(tool, p) for t in TOLERATED)]


def listing(problems: list[Problem]) -> str:
    return "\n".join(map(str, problems))


@pytest.fixture(scope="module")
def document_files(tmp_path_factory) -> dict[str, Path]:
    """Both documents as the app serves them, written to files for the tools."""
    folder = tmp_path_factory.mktemp("openapi")
    client = open_app().test_client()
    files = {}
    for name, url in DOCUMENTS.items():
        resp = client.get(url)
        assert resp.status_code == 200, url
        files[name] = folder / f"{name}.json"
        files[name].write_text(json.dumps(resp.get_json(), indent=1), encoding="utf-8")
    return files


def run_both(commands: dict[str, list[str]]) -> dict[str, subprocess.CompletedProcess]:
    """Run the commands side by side (one per document); their outcomes."""
    procs = {name: subprocess.Popen(command, cwd=TOOLS, env=TOOL_ENV, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for name, command in commands.items()}
    done = {}
    for name, proc in procs.items():
        try:
            out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        done[name] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return done


def parsed(done: subprocess.CompletedProcess):
    try:
        return json.loads(done.stdout)
    except ValueError:
        pytest.fail(f"{' '.join(done.args)} exited {done.returncode} without JSON:\n{done.stdout[-2000:]}\n"
                    f"{done.stderr[-2000:]}")


SPECTRAL_SEVERITIES = {0: "error", 1: "warn", 2: "info", 3: "hint"}


@pytest.fixture(scope="module")
def spectral(document_files) -> dict[str, list[Problem]]:
    """What `spectral lint --ruleset .spectral.yaml` finds in each document."""
    runs = run_both({name: [str(NODE_BIN / "spectral"), "lint", "--ruleset", str(TOOLS / ".spectral.yaml"),
                            "--format", "json", "--quiet", str(path)]
                     for name, path in document_files.items()})
    return {name: [Problem(r["code"], SPECTRAL_SEVERITIES[r["severity"]], json_pointer(r["path"]), r["message"])
                   for r in parsed(done)]
            for name, done in runs.items()}


@pytest.fixture(scope="module")
def redocly(document_files) -> dict[str, list[Problem]]:
    """What `redocly lint --config redocly.yaml` finds in each document (its Node 20 deprecation notice goes to
    stderr, the JSON report to stdout)."""
    runs = run_both({name: [str(NODE_BIN / "redocly"), "lint", "--config", str(TOOLS / "redocly.yaml"),
                            "--format", "json", "--max-problems", "1000", str(path)]
                     for name, path in document_files.items()})
    found = {}
    for name, done in runs.items():
        report = parsed(done)
        found[name] = [Problem(p["ruleId"], p["severity"], p["location"][0]["pointer"] if p["location"] else "",
                               p["message"]) for p in report["problems"]]
        assert len(found[name]) == report["totals"]["errors"] + report["totals"]["warnings"], report["totals"]
    return found


@pytest.mark.parametrize("name", DOCUMENTS)
def test_spectral_finds_no_error(spectral, name):
    errors = [p for p in spectral[name] if p.severity == "error"]
    assert errors == [], f"Spectral (spectral:oas) finds errors in {DOCUMENTS[name]}:\n{listing(errors)}"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_spectral_warns_only_where_tolerated(spectral, name):
    """Unused components, missing servers, another trailing slash: every warning counts, but the few TOLERATED."""
    warnings = untolerated("spectral", [p for p in spectral[name] if p.severity != "error"])
    assert warnings == [], f"Spectral warns about {DOCUMENTS[name]}:\n{listing(warnings)}"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_redocly_finds_no_error(redocly, name):
    errors = [p for p in redocly[name] if p.severity == "error"]
    assert errors == [], f"Redocly (recommended, redocly.yaml) finds errors in {DOCUMENTS[name]}:\n{listing(errors)}"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_redocly_warns_only_where_tolerated(redocly, name):
    warnings = untolerated("redocly", [p for p in redocly[name] if p.severity != "error"])
    assert warnings == [], f"Redocly warns about {DOCUMENTS[name]}:\n{listing(warnings)}"


def test_each_toleration_is_still_needed(spectral, redocly):
    """A toleration nothing uses any more is taken out, so the list stays the truth."""
    found = {tool: [p for problems in by_document.values() for p in problems]
             for tool, by_document in (("spectral", spectral), ("redocly", redocly))}
    unused = [t for t in TOLERATED if not any(t.covers(t.tool, p) for p in found[t.tool])]
    assert unused == [], "no longer needed, take them out of TOLERATED:\n" + "\n".join(
        f"{t.tool} {t.rule} at {t.where}" for t in unused)


# -- Prism's validation proxy ----------------------------------------------------------------------------------


class Prism:
    """`prism proxy DOCUMENT UPSTREAM` on a free port, its log written to a file."""

    def __init__(self, document: Path, upstream: str, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.upstream = upstream
        self.log = log
        with log.open("w", encoding="utf-8") as out:
            self.proc = subprocess.Popen(
                [str(NODE_BIN / "prism"), "proxy", str(document), upstream, "--host", "127.0.0.1",
                 "--port", str(self.port)], cwd=TOOLS, env=TOOL_ENV, stdout=out, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60) -> None:
        """Until it accepts connections (it listens once it has read the document)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prism exited ({self.proc.returncode}):\n{self.log.read_text()[-4000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"prism did not listen on {self.port} in time:\n{self.log.read_text()[-4000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def server_path(server: dict) -> str:
    url = server["url"]
    for name, variable in server.get("variables", {}).items():
        url = url.replace("{" + name + "}", variable["default"])
    return urlsplit(url).path.rstrip("/")


def heidi_mount(document: dict) -> tuple[str, str] | None:
    """How a Heidi client configured with the real base path is proxied, as the document tells: (what the client
    puts before a documented Heidi path when it talks to Prism, what Prism's upstream adds before it), or None if
    the document does not say where the base path goes.

    Prism matches a request's path against the document's path keys and ignores the path of every server (its
    FAQ: "base paths are completely ignored"; stoplightio/prism#1100 suggests putting the base path in the
    upstream). So a document whose Heidi path keys include the base path is proxied as it stands; one that puts
    the base path in the `servers` of the Heidi operations gets a Prism whose upstream is the mock under that path,
    and the mock still sees every request under the base path."""
    paths = document["paths"]
    if f"{HEIDI_BASE}/jwt" in paths:
        return HEIDI_BASE, ""
    item = paths.get("/jwt", {})
    servers = item.get("get", {}).get("servers") or item.get("servers") or document.get("servers") or []
    if any(server_path(server) == HEIDI_BASE for server in servers):
        return "", HEIDI_BASE
    return None


@dataclass
class Stack:
    mock: Served
    document: dict
    prism: Prism  # the vendor document, in front of the mock's root
    admin: Prism  # the admin document, in front of the mock's root
    heidi: tuple[str, str] | None  # heidi_mount(document)
    heidi_prism: Prism | None  # the Prism a Heidi client talks to


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """The real mock (open auth, structure tasks advancing one status per poll), both documents as it serves them,
    and Prism in front of it for each; one more for Heidi when the document puts Heidi's base path in `servers`."""
    folder = tmp_path_factory.mktemp("prism")
    mock = Served("--task-timing", "per-poll")
    prisms = []

    def proxy(document: dict, name: str, upstream: str) -> Prism:
        path = folder / f"{name}.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        prisms.append(Prism(path, upstream, folder / f"prism-{name}.log"))
        return prisms[-1]

    try:
        vendor = requests.get(f"{mock.url}/openapi.json", timeout=10).json()
        root = proxy(vendor, "vendor", mock.url)
        admin = proxy(requests.get(f"{mock.url}/_mock/openapi.json", timeout=10).json(), "admin", mock.url)
        heidi = heidi_mount(vendor)
        heidi_prism = None if heidi is None else proxy(vendor, "heidi", mock.url + heidi[1]) if heidi[1] else root
        for prism in prisms:
            prism.wait_ready()
        yield Stack(mock, vendor, root, admin, heidi, heidi_prism)
    finally:
        for prism in prisms:
            prism.stop()
        mock.stop()


PRISM_MULTIPART_ARRAY = {"location": ["request", "body", "files"], "code": "type"}
"""What Prism says of every upload: it reads each multipart field as one string (a later part of the same name
replacing an earlier one), so an array of file parts, as Haidy documents `files`, is never valid to it
(stoplightio/prism#2654, open: "Support mapping repeated keys to array in form-data"). Only this one finding is
set aside, on the upload only; anything else Prism says about that request or its response counts."""


class Session:
    """A client whose every request goes through Prism, as are its calls to the admin API (the journal); it keeps
    what Prism found and what the mock must have seen."""

    def __init__(self, stack: Stack, headers: dict, *, heidi: bool = False):
        self.stack = stack
        self.prism, (self.prefix, self.upstream_path) = (stack.heidi_prism, stack.heidi) if heidi else (stack.prism,
                                                                                                        ("", ""))
        self.http = requests.Session()
        self.http.headers.update(headers)
        self.sent: list[tuple[str, str, int]] = []
        self.violations: list[str] = []
        self.admin("DELETE", "/_mock/requests", 200)  # the journal starts empty

    def _through(self, prism: Prism, method: str, path: str, expect: int, set_aside: tuple[dict, ...],
                 http: requests.Session, **kwargs) -> requests.Response:
        resp = http.request(method, f"{prism.url}{path}", timeout=30, **kwargs)
        found = resp.headers.get("sl-violations")
        if found is not None:
            try:
                findings = json.loads(found)
            except ValueError:  # "Too many violations! ..." is cut short, no longer JSON
                findings = [found]
            findings = [f for f in findings if not any(
                isinstance(f, dict) and f.get("location") == known["location"] and f.get("code") == known["code"]
                for known in set_aside)]
            if findings:
                self.violations.append(f"{method} {path} -> {resp.status_code}: {json.dumps(findings)}")
        assert resp.status_code == expect, (
            f"{method} {path}: {resp.status_code}, not {expect}: {resp.text[:1000]}\n"
            "violations so far:\n" + "\n".join(self.violations))
        return resp

    def call(self, method: str, path: str, expect: int, *, set_aside: tuple[dict, ...] = (),
             **kwargs) -> requests.Response:
        """A vendor call; `set_aside` names findings of Prism's own limits, by location and code."""
        self.sent.append((method, f"{self.upstream_path}{self.prefix}{path}", expect))
        return self._through(self.prism, method, f"{self.prefix}{path}", expect, set_aside, self.http, **kwargs)

    def admin(self, method: str, path: str, expect: int, **kwargs) -> requests.Response:
        """An admin call, with the bearer token the admin document asks for (open auth takes any)."""
        with requests.Session() as http:
            http.headers["Authorization"] = "Bearer prism-admin"
            return self._through(self.stack.admin, method, path, expect, (), http, **kwargs)

    def finish(self, statuses: set[int]) -> None:
        """No violation; the statuses the session is there to reach were reached; every answer was the mock's."""
        journal = self.admin("GET", "/_mock/requests", 200).json()
        assert self.violations == [], "Prism found violations:\n" + "\n".join(self.violations)
        assert {status for _, _, status in self.sent} == statuses
        assert [(e["method"], e["path"], e["status"]) for e in journal] == self.sent


def test_haidy_session_through_prism(stack):
    haidy = Session(stack, {"Authorization": "Bearer prism-haidy"})
    body = {"external_id": "prism-1", "patient_group": GROUP, "name": "Jane Roe", "birth_date": "1980-01-01",
            "gender": "female"}
    context = haidy.call("POST", "/v2/patient-contexts/", 200, json=body).json()
    assert haidy.call("GET", f"/v2/patient-contexts/{context['id']}", 200).json() == context
    listed = haidy.call("GET", "/v2/patient-contexts/", 200, params={"external_id": "prism-1"}).json()
    assert [c["id"] for c in listed] == [context["id"]]
    duplicate = haidy.call("POST", "/v2/patient-contexts/", 400, json=body).json()
    assert context["id"] in duplicate["detail"]
    assert haidy.call("GET", "/v2/patient-contexts/ctx_missing", 404).json() == {"detail": "Patient context not found"}

    pdf = make_pdf("Patient presents with hypertension.")
    uploaded = haidy.call("POST", f"/v2/patient-files/upload/{context['id']}", 200, set_aside=(PRISM_MULTIPART_ARRAY,),
                          files=[("files", ("lab-report.pdf", pdf, "application/pdf"))]).json()
    assert (uploaded["total_uploaded"], uploaded["total_failed"]) == (1, 0)
    assert uploaded["uploaded_files"][0]["content_type"] == "application/pdf"

    records = [{"source": {"type": "document", "base64": base64.b64encode(pdf).decode()}},
               {"source": {"type": "plain_text", "text": "Current medications: Lisinopril 10mg daily."}}]
    task = haidy.call("POST", "/v2/structure", 200, json={"new_records": records}).json()
    statuses = [task["status"]]
    for _ in range(20):  # one status per poll: QUEUED, STARTED, ..., DONE
        task = haidy.call("POST", "/v2/tasks", 200, json={"task_id": task["task_id"]}).json()
        statuses.append(task["status"])
        if task["status"] in ("DONE", "FAILED"):
            break
    assert statuses[0] == "QUEUED" and statuses[-1] == "DONE", statuses
    assert task["result"]["clinical_records"]
    gone = haidy.call("POST", "/v2/tasks", 404, json={"task_id": task["task_id"]}).json()  # its result was fetched
    assert gone == {"detail": "Task not found"}
    haidy.finish({200, 400, 404})


def test_heidi_session_through_prism_under_the_real_base_path(stack):
    assert stack.heidi is not None, (
        f"the vendor document does not say where Heidi's base path {HEIDI_BASE} goes: neither its path keys nor "
        f"the servers of GET /jwt carry it (servers: {stack.document.get('servers')})")
    key = Session(stack, {"Heidi-Api-Key": "prism-heidi"}, heidi=True)
    jwt = key.call("GET", "/jwt", 200, params={"email": "dr.smith@example.com",
                                               "third_party_internal_id": "prism-user"}).json()
    key.finish({200})
    heidi = Session(stack, {"Authorization": f"Bearer {jwt['token']}"}, heidi=True)
    fields = {"first_name": "Ada", "last_name": "Lovelace", "birth_date": "1815-12-10", "gender": "FEMALE",
              "ehr_patient_id": "PRISM-1"}
    profile = heidi.call("POST", "/patient-profiles", 200, json=fields).json()["data"]
    assert heidi.call("GET", f"/patient-profiles/{profile['id']}", 200).json()["data"]["id"] == profile["id"]
    patched = heidi.call("PATCH", f"/patient-profiles/{profile['id']}", 200, json={"last_name": "King"}).json()
    assert patched["data"]["last_name"] == "King"
    listed = heidi.call("GET", "/patient-profiles", 200, params={"ehr_patient_id": "PRISM-1"}).json()["data"]
    assert [p["id"] for p in listed] == [profile["id"]]
    session = heidi.call("POST", "/sessions", 200, json={"patient_profile_id": profile["id"]}).json()
    read = heidi.call("GET", f"/sessions/{session['session_id']}", 200).json()["session"]
    assert read["session_id"] == session["session_id"]
    heidi.call("PATCH", f"/sessions/{session['session_id']}", 200, json={"duration": 600})
    heidi.call("POST", f"/patient-profiles/{profile['id']}/sessions", 200,
               json={"session_ids": [session["session_id"]]})
    missing = heidi.call("GET", "/sessions/no-such-session", 404).json()
    assert missing["detail"]["type"] == "SessionNotFoundError"
    assert heidi.call("GET", "/sessions/linked-user", 400).json()["detail"]["type"] == "NoLinkedUserException"
    heidi.call("POST", "/users/linked-account", 200, json={"kinde_user_id": "kp_prism"})
    assert heidi.call("GET", "/users/linked-account/access", 200).json()["is_linked"] is True
    heidi.call("GET", "/sessions/linked-user", 200, params={"page_size": 2, "page": 1})
    heidi.call("DELETE", "/users/linked-account:unlink", 200)
    heidi.call("DELETE", "/patient-profiles:batch-delete", 200, json={"patient_profile_ids": [profile["id"]]})
    heidi.call("GET", f"/patient-profiles/{profile['id']}", 404)
    heidi.finish({200, 400, 404})


def test_esteem_session_through_prism(stack):
    esteem = Session(stack, {"X-User-Token": "prism-esteem"})
    fields = {"first_name": "John", "last_name": "Prism", "date_of_birth": "2010-05-15", "gender": "male",
              "email": "john.prism@example.com", "address": {"street": "123 Main St", "city": "Anytown",
                                                              "state": "CA", "zip_code": "12345"}}
    patient = esteem.call("POST", "/v1/patients", 201, json={"patient": fields}).json()
    assert esteem.call("GET", f"/v1/patients/{patient['id']}", 200).json() == patient
    updated = esteem.call("PUT", f"/v1/patients/{patient['id']}", 200,
                          json={"patient": {"phone": "+1-555-987-6543"}}).json()
    assert updated["phone"] == "+1-555-987-6543"
    listed = esteem.call("GET", "/v1/patients", 200, params={"search": "Prism", "page": 1, "page_size": 25}).json()
    assert [p["id"] for p in listed["patients"]] == [patient["id"]]
    gauge = esteem.call("POST", f"/v1/patients/{patient['id']}/gauges", 201,
                        json={"gauge": {"gauge_type": "mood", "value": 7, "notes": "Feeling better today"}}).json()
    gauges = esteem.call("GET", f"/v1/patients/{patient['id']}/gauges", 200, params={"gauge_type": "mood"}).json()
    assert gauges == [gauge]
    # a valid request by the schema that the model refuses (Prism would flag a schema violation itself)
    future = esteem.call("POST", "/v1/patients", 422, json={"patient": {**fields, "date_of_birth": "2999-01-01"}})
    assert future.json()["errors"]["date_of_birth"] == ["can't be in the future"]
    esteem.call("GET", "/v1/patients/999999", 404)
    esteem.finish({200, 201, 404, 422})
