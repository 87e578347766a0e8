"""The vendor doc pages the tests read are kept in the repository, so a lone checkout tests itself.

Each family's tests/<family>/doc_examples/ holds verbatim copies (*.txt) of the pages its tests take
examples, requests and bodies from. Here, and only here, they are compared with the vendor docs
themselves where the person running the tests names their folder (MOCKSERVER_VENDOR_DOCS); otherwise the
comparison is skipped and every other test runs on the copies.
"""

import difflib

import pytest

from tests.support import DOC_COPIES, ROOT, SHARED_DOCS

COPIES = sorted(path for folder in DOC_COPIES.values() for path in folder.glob("*.txt"))


def test_the_pages_the_tests_read_are_copied_into_the_repository():
    assert {(path.parent.parent.name, path.name) for path in COPIES} >= {
        ("haidy", "haidy-patient-contexts.txt"), ("haidy", "haidy-analyst-structure.txt"),
        ("haidy", "haidy-pis-integration.txt"), ("haidy", "haidy-report-generation.txt"),
        ("heidi", "heidi-patient-profiles.txt"), ("heidi", "heidi-sessions.txt"),
        ("heidi", "heidi-transcription.txt"), ("heidi", "heidi-consult-notes.txt"),
        ("heidi", "heidi-documents-and-codes.txt"), ("heidi", "heidi-authentication.txt"),
        ("esteem", "esteem-more.txt"),
    }


def test_each_copy_is_the_vendor_doc_byte_for_byte():
    if SHARED_DOCS is None or not SHARED_DOCS.is_dir():
        pytest.skip(f"no vendor docs named (MOCKSERVER_VENDOR_DOCS={SHARED_DOCS}); the copies in "
                    "tests/<family>/doc_examples/ are compared with them where it names their folder")
    problems = []
    for copy in COPIES:
        doc = SHARED_DOCS / copy.name
        if not doc.is_file():
            problems.append(f"{copy.relative_to(ROOT)}: no {copy.name} in {SHARED_DOCS}")
        elif copy.read_bytes() != doc.read_bytes():
            diff = difflib.unified_diff(copy.read_text(encoding="utf-8").splitlines(),
                                        doc.read_text(encoding="utf-8").splitlines(),
                                        fromfile=str(copy.relative_to(ROOT)), tofile=str(doc), lineterm="", n=1)
            problems.append("\n".join(list(diff)[:40]))
    assert not problems, (
        "the in-repo copies differ from the vendor docs: copy the page again (cp) and check the tests "
        "that read it\n" + "\n\n".join(problems))
