"""The complete Python example of haidy-patient-contexts.txt, run against `mockserver serve`.

The shipped doc text lost its indentation, so the runnable copy lives in tests/haidy/doc_examples/;
the first test proves it is the doc's code line for line, leading whitespace aside. The doc itself is
read from its verbatim copy beside it (tests/test_vendor_docs.py compares that with the vendor's).
"""

import subprocess
import sys
from urllib.parse import urlsplit

import requests

from tests.support import DOC_COPIES, make_pdf

DOC = DOC_COPIES["haidy"] / "haidy-patient-contexts.txt"
EXAMPLE = DOC_COPIES["haidy"] / "haidy_patient_contexts.py"


def doc_code() -> list[str]:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = lines.index("#!/usr/bin/env python3")
    end = lines.index("main()", start)
    return lines[start : end + 1]


def test_the_runnable_copy_is_the_docs_code():
    copy = [line.lstrip() for line in EXAMPLE.read_text(encoding="utf-8").splitlines()]
    assert copy == doc_code()


def run_example(tmp_path, base_url: str, token: str, file_paths: list[str] | None = None,
                expect_success: bool = True) -> subprocess.CompletedProcess:
    source = EXAMPLE.read_text(encoding="utf-8")
    changed = source.replace('API_BASE = "https://api.44ai.ch"', f'API_BASE = "{base_url}"')
    assert changed != source
    if file_paths is not None:
        start = changed.index("FILE_PATHS = [")
        end = changed.index("]", start) + 1
        changed = changed[:start] + f"FILE_PATHS = {file_paths!r}" + changed[end:]
    script = tmp_path / "example.py"
    script.write_text(changed, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                          env={"HAIDY_BEARER": token, "PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"})
    assert (done.returncode == 0) == expect_success, done.stderr
    return done


def test_example_runs_unchanged_but_for_the_base_url(served, tmp_path):
    out = run_example(tmp_path, served.url, "doc-example-as-is").stdout
    assert "✅ Created patient context: ctx_" in out
    assert "❌ File not found: /path/to/lab-report.pdf" in out
    assert (
        "🔗 Integration URL:\nhttps://haidy.ch/integration?email=user%40example.com&integration=o10i0iva3tn75kk" in out
    )


def test_example_with_real_files_uploads_them_and_its_link_opens(served, tmp_path):
    paths = []
    for name in ("lab-report.pdf", "discharge-summary.pdf"):
        (tmp_path / name).write_bytes(make_pdf(name))
        paths.append(str(tmp_path / name))
    out = run_example(tmp_path, served.url, "doc-example-files", paths).stdout
    assert "✅ Uploaded 2 file(s)" in out
    ctx_id = out.split("Patient Context ID: ")[1].strip()
    ctx = requests.get(f"{served.url}/v2/patient-contexts/{ctx_id}",
                       headers={"Authorization": "Bearer doc-example-files"}).json()
    assert ctx["external_id"] == "patient-12345" and ctx["total_files"] == 2

    link = out.split("Integration URL:\n")[1].splitlines()[0]
    page = requests.get(f"{served.url}/integration?{urlsplit(link).query}")
    assert page.status_code == 200
    assert "John Doe" in page.text and "discharge-summary.pdf" in page.text


def test_running_it_twice_gives_the_documented_400(served, tmp_path):
    run_example(tmp_path, served.url, "doc-example-twice")
    again = run_example(tmp_path, served.url, "doc-example-twice", expect_success=False)
    assert "400 Client Error" in again.stderr
