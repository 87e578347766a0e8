"""Answers to a free-text instruction about some content ("Summarise the following text"), built by rules from
what the extraction finds in it: the same command and content always give the same answer."""

from __future__ import annotations

import html
import re

from mockserver.clinical.extraction.lexicon import CATEGORIES
from mockserver.clinical.notes import Block, Consultation, Facts, clean, facts, label, render, sentences

_TOPICS = (
    (("medication", "medicine", "drug", "meds"), "medications"),
    (("problem", "condition", "diagnos"), "conditions"),
    (("allerg",), "allergies"),
    (("observation", "vital", "measurement"), "observations"),
    (("procedure", "surger", "operation"), "procedures"),
    (("immuni", "vaccin"), "immunizations"),
)
"""Words in a command that ask for a category of findings."""
_TAG = re.compile(r"<[^>]*>")
_TITLES = {"medications": "Medications", "conditions": "Problems", "allergies": "Allergies",
           "observations": "Observations", "procedures": "Procedures", "immunizations": "Immunizations"}


def answer(command: str, content: str, consultation: Consultation | None = None, *,
           content_type: str = "MARKDOWN") -> str:
    """A summary for summar* commands, lists for "list" or a named category, otherwise a statement of what was
    asked with the text's opening and key findings. The content is the material; when it is blank, the
    consultation's transcript and clinician notes are. Never empty.

    `content_type` is the format of the content and of the answer: HTML content is read as its text (tags
    dropped, entities decoded), and the HTML answer escapes every text again."""
    if content_type == "HTML":
        content = html.unescape(_TAG.sub(" ", content))
    material = Consultation(transcript=content) if content.strip() else consultation or Consultation()
    said = [clean(text[start:end]) for text in (material.transcript, *material.clinician_notes)
            for start, end in sentences(text)]
    found = facts(material)
    asked = command.casefold()
    topics = [category for words, category in _TOPICS if any(word in asked for word in words)]
    if "summar" in asked:
        blocks = [Block("paragraph", f"Summary: {said[0]}" if said else "Summary: the text is empty."),
                  *_key_findings(found)]
    elif topics or "list" in asked:
        blocks = [block for category in topics or CATEGORIES for block in _listed(found, category)]
    else:
        request = f'Request: "{clean(command)}".' if clean(command) else "Request: none given."
        blocks = [Block("paragraph", f"{request} The text has {len(said)} sentence(s).")]
        if said:
            blocks.append(Block("paragraph", f'It begins: "{said[0]}"'))
        blocks += _key_findings(found)
    return render(blocks, content_type)


def _key_findings(found: Facts) -> list[Block]:
    """One item per category that has findings: "Medications: Lisinopril 10 mg daily, Metformin 500 mg"."""
    items = [Block("item", f"{_TITLES[category]}: {', '.join(label(f) for f in found.of(category))}")
             for category in CATEGORIES if found.of(category)]
    if not items:
        return [Block("paragraph", "No clinical findings were found in the text.")]
    return [Block("paragraph", "Key findings:"), *items]


def _listed(found: Facts, category: str) -> list[Block]:
    items = [Block("item", label(finding)) for finding in found.of(category)]
    return [Block("paragraph", f"{_TITLES[category]}:"), *(items or [Block("item", "None found.")])]
