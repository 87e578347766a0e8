"""Heidi's shipped templates: consult-note templates and document templates, kept as data in templates.json.

Read and checked once at import. A template's body as the API shows it (structure_template, template_html) is
derived from its sections, so the shape of a template is written in one place.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from mockserver.clinical.notes import FILL_DESCRIPTIONS, FILLS, Block, NoteTemplate, Section, render

CONSULT_NOTE = "CONSULT_NOTE_TEMPLATE"
DOCUMENT = "DOCUMENT_TEMPLATE"
_OBJECT_ID = re.compile(r"[0-9a-f]{24}")
_FILE = Path(__file__).with_name("templates.json")


@dataclass(frozen=True)
class HeidiTemplate:
    id: str
    name: str
    category: str
    author_name: str
    note: NoteTemplate

    def to_json(self) -> dict:
        """The template as GET /templates/consult-note-templates lists it."""
        blocks = [block for section in self.note.sections for block in (
            Block("heading", section.heading),
            *(Block("paragraph", f"[{FILL_DESCRIPTIONS[fill]}]") for fill in section.fills))]
        return {"id": self.id, "name": self.name, "structure_template": render(blocks, "MARKDOWN"),
                "template_category": self.category, "template_html": render(blocks, "HTML"),
                "author_name": self.author_name}


def consult_note_templates() -> list[HeidiTemplate]:
    return [shipped for shipped in _TEMPLATES.values() if shipped.category == CONSULT_NOTE]


def document_templates() -> list[HeidiTemplate]:
    return [shipped for shipped in _TEMPLATES.values() if shipped.category == DOCUMENT]


def template(template_id: str) -> HeidiTemplate | None:
    """A shipped template of any category by id."""
    return _TEMPLATES.get(template_id)


def _load(path: Path) -> dict[str, HeidiTemplate]:
    """The templates by id, in file order; a wrong id, category or fill is an error at start-up, not in a request."""
    loaded: dict[str, HeidiTemplate] = {}
    for entry in json.loads(path.read_text(encoding="utf-8"))["templates"]:
        sections = tuple(Section(s["heading"], tuple(s["fills"])) for s in entry["sections"])
        unknown = sorted({fill for section in sections for fill in section.fills} - set(FILLS))
        problems = [f"unknown fills {unknown}"] if unknown else []
        if not _OBJECT_ID.fullmatch(entry["id"]) or entry["id"] in loaded:
            problems.append("the id is not 24 lower-case hex or is used twice")
        if entry["template_category"] not in (CONSULT_NOTE, DOCUMENT):
            problems.append(f"unknown category {entry['template_category']!r}")
        if problems:
            raise ValueError(f"{path.name}: template {entry['id']!r}: {'; '.join(problems)}")
        loaded[entry["id"]] = HeidiTemplate(entry["id"], entry["name"], entry["template_category"],
                                            entry["author_name"], NoteTemplate(entry["name"], sections))
    return loaded


_TEMPLATES = _load(_FILE)


_FILLS_BY_WORD = (
    (("patient", "demographic"), ("patient",)),
    (("complaint", "reason", "presenting"), ("complaint",)),
    (("history", "subjective", "hpi", "story"), ("history",)),
    (("medication", "medicine", "drug", "prescription"), ("medications",)),
    (("allerg",), ("allergies",)),
    (("exam", "objective", "vital", "observation", "finding", "result"), ("observations",)),
    (("problem", "assessment", "diagnos", "impression", "condition"), ("problems",)),
    (("procedure", "surgery", "operation"), ("procedures",)),
    (("immunis", "immuniz", "vaccin"), ("immunizations",)),
    (("past", "previous", "context", "background"), ("context",)),
    (("plan", "management", "follow", "next step", "recommend"), ("plan", "addition")),
)
"""Which fills a third-party template's heading asks for, by the words in it (first match wins)."""


def from_third_party(text: str) -> NoteTemplate:
    """A template an integrator wrote, given as JSON text: `{"name", "sections": [{"heading"} or "heading"]}`, or
    an object whose keys are the headings. Each heading's fills come from its words; a heading no word names gets
    the history. ValueError (with why) for anything else."""
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"third_party_template is not JSON: {exc}") from None
    if isinstance(raw, dict) and isinstance(raw.get("sections"), list):
        headings = [s.get("heading") or s.get("title") or s.get("name") if isinstance(s, dict) else s
                    for s in raw["sections"]]
        name = raw.get("name") if isinstance(raw.get("name"), str) else "Third-party template"
    elif isinstance(raw, dict):
        headings, name = list(raw), "Third-party template"
    else:
        raise ValueError("third_party_template must be a JSON object: its sections, or its headings as keys")
    headings = [h.strip() for h in headings if isinstance(h, str) and h.strip()]
    if not headings:
        raise ValueError("third_party_template names no section")
    return NoteTemplate(name, tuple(Section(heading[:200], fills_for(heading)) for heading in headings[:50]))


def fills_for(heading: str) -> tuple[str, ...]:
    lowered = heading.lower()
    return next((fills for words, fills in _FILLS_BY_WORD if any(word in lowered for word in words)), ("history",))
