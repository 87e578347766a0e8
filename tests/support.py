"""Helpers for tests that run the real `mockserver serve` and build real files."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import requests

from mockserver.harness.dataset import pdf

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
"""The checkout."""
SHARED_DOCS = Path(os.environ["MOCKSERVER_VENDOR_DOCS"]) if os.environ.get("MOCKSERVER_VENDOR_DOCS") else None
"""The vendor doc pages, only where the person running the tests names them: the repository reaches nothing
outside itself on its own."""
"""The vendor docs, where they lie beside the checkout (CI has them); MOCKSERVER_VENDOR_DOCS names another place.
Only tests/test_vendor_docs.py reads them: every other test reads the copies in tests/<family>/doc_examples/."""
DOC_COPIES = {"haidy": ROOT / "tests" / "haidy" / "doc_examples", "heidi": ROOT / "tests" / "heidi" / "doc_examples",
              "esteem": ROOT / "tests" / "esteem" / "doc_examples"}
"""Per family, the folder of the vendor doc pages the tests read, copied verbatim from SHARED_DOCS."""
AUTH = {"Authorization": "Bearer test-token"}
GROUP = "sqmcrfbv6fx4g04"


def unless_installed(missing: bool, reason: str):
    """Skip where a system tool the test drives for real is missing, but never in CI (the environment variable
    CI set), where `make test` installed it and its absence is a failure."""
    return pytest.mark.skipif(missing and not os.environ.get("CI"), reason=reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    """`mockserver serve ...` as a subprocess on a free port; stop() sends Ctrl-C (SIGINT)."""

    def __init__(self, *args: str, executable: Path = BIN / "mockserver", cwd: Path | None = None,
                 env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [str(executable), "serve", "--port", str(self.port), *args], cwd=cwd,
            env={"PYTHONFAULTHANDLER": "1", **os.environ, **(env or {})}, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mockserver exited early:\n{self.proc.stdout.read()}")
            try:
                if requests.get(f"{self.url}/_mock/health", timeout=1).ok:
                    return
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or slow on a busy machine
                time.sleep(0.1)
        self.stop()
        raise TimeoutError("mockserver did not answer /_mock/health in time")

    def stop(self, timeout: float = 10) -> tuple[int, str]:
        """Ctrl-C, then the exit code and everything it printed.

        Its output is read while it stops, not after: a server that has printed more than a pipe holds
        (64 KiB of access log, in a session-long server) blocks in its last write and could never exit.
        """
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            output, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:  # stuck: SIGABRT makes faulthandler print every thread's stack first
            self.proc.send_signal(signal.SIGABRT)
            try:
                output, _ = self.proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:  # its whole session: a worker it left would hold the pipe open
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                output, _ = self.proc.communicate()
        return self.proc.returncode, output


def split_banner(output: str) -> tuple[list[str], list[str]]:
    """What `mockserver serve` printed: its start-up banner (the first line and the indented block under it),
    and every line after it (the log)."""
    lines = output.splitlines()
    end = 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    return lines[:end], lines[end:]


def make_pdf(text: str = "Lab report") -> bytes:
    """A small but valid one-page PDF showing `text`."""
    return pdf.render([text])


def make_docx() -> bytes:
    """A minimal Word document: a zip with word/document.xml."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 16
