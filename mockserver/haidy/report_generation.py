"""Haidy's report generation: a transcript written into a report along a named template, in a language, styled by
the four style-guidance dials. Plain Python, no HTTP.

The text comes from the clinical layer's note writer (`clinical.notes`, which Heidi's consult notes use too), so it
is deterministic: the same request gives the same bytes. What each dial does is decided here, in one place:

- detail_level: the writer's voice style (below 0.25 BRIEF, up to 0.5 GOLDILOCKS, below 0.75 DETAILED, else
  SUPER_DETAILED), so the default 0.5 is the writer's standard voice;
- technical_level: from 0.75 each finding carries its codes (SNOMED CT, RxNorm, ATC, LOINC); up to 0.25 a
  plain-language lead sentence opens the report;
- formality: below 0.5 a conversational title ("Zusammenfassung des Gesprächs"), else the template's title;
- confidence_expression: up to 0.25 hedged ("Wahrscheinlich ..." for confirmed findings), from 0.75 definitive
  ("Verdacht auf ..." instead of "Möglicherweise ..."), otherwise as the engine found them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mockserver.clinical import notes
from mockserver.haidy.report_templates import LANGUAGES, ReportTemplate

DEFAULT_LANGUAGE = "de"
"""Haidy is Swiss (German first); the docs name no default."""
DIALS = ("technical_level", "detail_level", "formality", "confidence_expression")
LOW, HIGH = 0.25, 0.75
"""Where a dial's low and high ends begin (inclusive)."""
_BULLETS = re.compile(r"bullet|aufzählung|stichpunkt|puces|elenco puntato|punti elenco|viñetas", re.I)
"""User instructions that ask for bullet points, which the mock applies (every paragraph a list item)."""

_ANNOTATION = re.compile(r' — evidence: ".*"$|\s\((?:SNOMED CT|RxNorm|ATC|LOINC|CVX|ICD-10) [^()]*\)'
                         r'|\s\((?:confirmed|possible|negated)(?:;[^()]*)?\)')
"""What the writer adds to a finding (its codes, DETAILED's status and SUPER_DETAILED's evidence), left out when a
report is read again."""

PHRASES = {
    "de": {"casual_title": "Zusammenfassung des Gesprächs", "date": "Datum",
           "lay": "Dieser Bericht fasst die Konsultation in allgemein verständlicher Sprache zusammen.",
           "instructions": "Zusätzliche Anweisungen",
           "reviewed": "Geprüft: {sections} Abschnitte, {findings} Befunde mit dem Transkript abgeglichen."},
    "fr": {"casual_title": "Résumé de l'entretien", "date": "Date",
           "lay": "Ce rapport résume la consultation en langage courant.",
           "instructions": "Instructions supplémentaires",
           "reviewed": "Relu : {sections} sections, {findings} éléments vérifiés par rapport à la transcription."},
    "it": {"casual_title": "Riepilogo del colloquio", "date": "Data",
           "lay": "Questo rapporto riassume la consultazione in linguaggio semplice.",
           "instructions": "Istruzioni aggiuntive",
           "reviewed": "Revisionato: {sections} sezioni, {findings} elementi verificati rispetto alla trascrizione."},
    "en": {"casual_title": "Summary of our conversation", "date": "Date",
           "lay": "This report summarises the consultation in plain language.",
           "instructions": "Additional instructions",
           "reviewed": "Reviewed: {sections} sections, {findings} findings checked against the transcript."},
    "es": {"casual_title": "Resumen de la conversación", "date": "Fecha",
           "lay": "Este informe resume la consulta en lenguaje sencillo.",
           "instructions": "Instrucciones adicionales",
           "reviewed": "Revisado: {sections} secciones, {findings} hallazgos comprobados con la transcripción."},
}


@dataclass(frozen=True)
class Style:
    """The four dials, each 0.0 to 1.0 (0.5 when not given)."""

    technical_level: float = 0.5
    detail_level: float = 0.5
    formality: float = 0.5
    confidence_expression: float = 0.5

    @classmethod
    def from_json(cls, value: dict | None) -> Style:
        value = value or {}
        return cls(**{dial: float(value[dial]) for dial in DIALS if value.get(dial) is not None})

    @property
    def voice_style(self) -> str:
        detail = self.detail_level
        if detail < LOW:
            return "BRIEF"
        if detail <= 0.5:
            return "GOLDILOCKS"
        return "DETAILED" if detail < HIGH else "SUPER_DETAILED"

    @property
    def certainty(self) -> str:
        if self.confidence_expression <= LOW:
            return "hedged"
        return "definitive" if self.confidence_expression >= HIGH else "as_found"


@dataclass(frozen=True)
class Request:
    template: ReportTemplate
    transcript: str = ""
    style: Style = Style()
    language: str = DEFAULT_LANGUAGE
    instructions: str = ""
    date_of_report: str | None = None
    review: bool = False


def transcript_of(bubbles: list[dict] | None) -> str:
    """The bubbles' texts in order, joined with spaces."""
    return " ".join(text for text in (notes.clean(b.get("text") or "") for b in bubbles or ()) if text)


def generate(request: Request) -> str:
    """The report in Markdown: a title, the date and lead the dials ask for, the template's sections written by the
    note writer, then the user's instructions and the review line when asked for."""
    if request.language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {request.language!r}")
    style, language, phrases = request.style, request.language, PHRASES[request.language]
    instructions = notes.clean(request.instructions or "")
    wording = notes.Wording(language=language, codes=style.technical_level >= HIGH, certainty=style.certainty,
                            bullets=bool(_BULLETS.search(instructions)))
    consultation = notes.Consultation(transcript=request.transcript)
    template = request.template.note(language)
    title = request.template.title(language) if style.formality >= 0.5 else phrases["casual_title"]
    head = [notes.Block("paragraph", f"{phrases['date']}: {request.date_of_report}")] if request.date_of_report else []
    if style.technical_level <= LOW:
        head.append(notes.Block("paragraph", phrases["lay"]))
    body = notes.write_note(consultation, template, voice_style=style.voice_style, wording=wording)
    tail = [notes.Block("paragraph", f"{phrases['instructions']}: {instructions}")] if instructions else []
    if request.review:
        found = notes.facts(consultation, language).current
        tail.append(notes.Block("paragraph", phrases["reviewed"].format(sections=len(template.sections),
                                                                        findings=len(found))))
    parts = [f"# {notes.clean(title)}\n"] + ([notes.render(head, "MARKDOWN")] if head else []) + [body]
    parts += [notes.render(tail, "MARKDOWN")] if tail else []
    return "\n".join(parts)


def restyle(report: str, request: Request) -> str:
    """An existing report written again with another style: its text (headings, list marks and the fixed phrases
    the mock writes left out) read as the transcript of `generate`."""
    return generate(Request(request.template, text_of(report), request.style, request.language,
                            request.instructions, request.date_of_report, request.review))


def text_of(report: str) -> str:
    """The sentences of a report, one line each, as one text."""
    fixed = {text for table in (notes.PHRASES, PHRASES) for phrases in table.values() for text in phrases.values()}
    prefixes = tuple(f"{phrases[key]}:" for phrases in PHRASES.values() for key in ("date", "instructions"))
    kept = []
    for line in report.splitlines():
        text = _ANNOTATION.sub("", re.sub(r"^\s*(?:[-*+]\s+|\\)", "", line)).strip()
        if not text or text.startswith("#") or text in fixed or text.startswith(prefixes):
            continue
        if any(re.fullmatch(re.escape(p["reviewed"]).replace(r"\{sections\}", r"\d+").replace(r"\{findings\}", r"\d+"),
                            text) for p in PHRASES.values()):
            continue
        kept.append(text if text[-1] in ".!?…" else text + ".")
    return " ".join(kept)
