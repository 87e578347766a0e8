"""Haidy's shipped report templates, by backend name, kept as data in report_templates.json.

Read and checked once at import: every template has a title and a heading per section in each language the report
API offers, and its sections' fills are the note writer's (`clinical.notes.FILLS`). The request schema's
`template_name` enum (schemas/haidy/report-request.json) lists the same names; a test keeps them equal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from mockserver.clinical.notes import FILLS, NoteTemplate, Section

_FILE = Path(__file__).with_name("report_templates.json")


@dataclass(frozen=True)
class ReportTemplate:
    name: str
    titles: dict[str, str]
    sections: tuple[tuple[dict[str, str], tuple[str, ...]], ...]
    """Each section's headings by language and its fills."""

    def title(self, language: str) -> str:
        return self.titles[language]

    def note(self, language: str) -> NoteTemplate:
        """The writer's template with this language's headings."""
        return NoteTemplate(self.name, tuple(Section(headings[language], fills) for headings, fills in self.sections))


def template(name: str) -> ReportTemplate | None:
    return _TEMPLATES.get(name)


def names() -> list[str]:
    return list(_TEMPLATES)


def _load(path: Path) -> tuple[tuple[str, ...], dict[str, ReportTemplate]]:
    """A missing language, an unknown fill or a name used twice is an error at start-up, not in a request."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    languages = tuple(raw["languages"])
    loaded: dict[str, ReportTemplate] = {}
    for entry in raw["templates"]:
        sections = tuple((s["heading"], tuple(s["fills"])) for s in entry["sections"])
        problems = []
        unknown = sorted({fill for _, fills in sections for fill in fills} - set(FILLS))
        if unknown:
            problems.append(f"unknown fills {unknown}")
        texts = [entry["title"]] + [headings for headings, _ in sections]
        if any(set(text) != set(languages) for text in texts):
            problems.append(f"a title or heading is not in exactly the languages {languages}")
        if entry["name"] in loaded:
            problems.append("the name is used twice")
        if problems:
            raise ValueError(f"{path.name}: template {entry['name']!r}: {'; '.join(problems)}")
        loaded[entry["name"]] = ReportTemplate(entry["name"], entry["title"], sections)
    return languages, loaded


LANGUAGES, _TEMPLATES = _load(_FILE)
