"""What the mock answers for the documentation host: the Haidy docs post URLs on example.com.

example.com (with www.example.com) is reserved for documentation (RFC 2606) and never a real server, so a
structure task that names `https://example.com/lab-results.pdf` (or any other URL the Haidy-Analyst guide
posts) gets the synthetic document shipped here, all about one patient, John Doe, born 1990-01-01, with
hypertension treated with Lisinopril 10 mg daily. The audio sample transcribes to the dictation in
`transcripts.json` unless the tenant registered another transcript for it.

The files are written by `tests/haidy/analyst/make_samples.py` from the data-set writers; a test proves
they are what it makes. No Flask here, and no harness import.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
HOSTS = ("example.com", "www.example.com")
"""Documentation hosts (RFC 2606): never fetched, answered from the samples."""
TRANSCRIPTS = "transcripts.json"


def is_documentation_url(url: str) -> bool:
    return (urlsplit(url).hostname or "").lower() in HOSTS


@cache
def names() -> tuple[str, ...]:
    """The sample files, by the path they answer (`/lab-results.pdf` is `lab-results.pdf`)."""
    return tuple(sorted(p.name for p in HERE.iterdir() if p.is_file() and p.suffix not in (".py", ".json")))


def sample(url: str) -> bytes | None:
    """The sample a documentation URL names (query and fragment ignored), or None if it names none."""
    if not is_documentation_url(url):
        return None
    name = urlsplit(url).path.lstrip("/")
    return (HERE / name).read_bytes() if name in names() else None


@cache
def transcripts() -> dict[str, str]:
    """What the audio samples transcribe to, by the audio's SHA-256 (hex), as the transcript registry keys it."""
    by_name = json.loads((HERE / TRANSCRIPTS).read_text(encoding="utf-8"))
    return {hashlib.sha256((HERE / name).read_bytes()).hexdigest(): text for name, text in by_name.items()}
