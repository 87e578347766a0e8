"""The note writer: a clinical note written along a template from what a consultation holds.

Vendor-neutral (a template is headings and the kinds of content each holds) and deterministic: the same
consultation, template, voice style and content type give the same bytes, since everything comes from the
rule-based extraction engine and fixed rules, never from a clock or chance.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from mockserver.clinical.extraction import patient_metadata, structure_text
from mockserver.clinical.extraction.lexicon import CATEGORIES, GENERIC_ALLERGY
from mockserver.clinical.extraction.text import tokenize

FILL_DESCRIPTIONS = {
    "patient": "Patient name, gender, date of birth",
    "complaint": "Reason for visit",
    "history": "History of the presenting complaint",
    "problems": "Problems and diagnoses",
    "medications": "Medications with dose, route and frequency",
    "allergies": "Allergies",
    "observations": "Examination findings and measurements",
    "procedures": "Procedures",
    "immunizations": "Immunizations",
    "context": "Relevant history from earlier notes",
    "plan": "Plan and follow-up",
    "addition": "Additional instructions",
}
"""What each fill puts in a section, as a template shows it to the person choosing one."""
FILLS = tuple(FILL_DESCRIPTIONS)
VOICE_STYLES = ("BRIEF", "GOLDILOCKS", "DETAILED", "SUPER_DETAILED", "MY_VOICE")
CONTENT_TYPES = ("MARKDOWN", "HTML")

_SOURCE_NAMES = {"transcript": "transcript", "clinician_note": "clinician notes", "context": "earlier note"}
_FILL_CATEGORIES = {"problems": "conditions", "medications": "medications", "allergies": "allergies",
                    "observations": "observations", "procedures": "procedures", "immunizations": "immunizations"}
_HISTORY_SENTENCES = {"BRIEF": 2, "GOLDILOCKS": 4, "MY_VOICE": 4, "DETAILED": 8, "SUPER_DETAILED": None}
"""How many transcript sentences the history keeps per voice style (None: all)."""
_BRIEF_WORDS = 12
_PLAN_CUE = re.compile(r"\b(?:plan|start|continu|increas|decreas|stop|refer|review(?!\s+of\b)|prescri|recheck|"
                       r"schedul|arrang|advis|return|follow[\s-]*up\s+(?:in|with|after|appointment|visit))", re.I)
"""Words that put a sentence in the plan ("a review of", "a follow-up for" hypertension is why the patient came)."""
_TRAILING_PUNCTUATION = re.compile(r"[^\w\s]*")
_WORD = re.compile(r"\w")
_MARKDOWN_OPENER = re.compile(r"[#>+*=|`~<_-]|\d+[.)]")
"""What at the start of a line Markdown would read as markup (a heading, quote, list, HTML block)."""
_PATIENT_FIELDS = (("name", "Name"), ("gender", "Gender"), ("dob", "Date of birth"),
                   ("demographic_details", "Details"))
LANGUAGES = ("en", "de", "fr", "it", "es")
"""The languages a note's fixed phrases are written in; finding names come from the extraction engine, which names
them in en, de, fr and it (es: English names)."""
_ENGINE_LANGUAGES = ("en", "de", "fr", "it")
PHRASES = {
    "en": {"not_discussed": "Not discussed.", "none_known": "None known.", "no_known_allergies": "No known allergies",
           "no_allergy": "No allergy to {}", "not_taking": "Not taking {}", "no": "No {}", "possible": "Possible {}",
           "history_of": "History of {}", "allergy": "{} allergy", "likely": "Likely {}",
           "suspected": "Suspected {}"},
    "de": {"not_discussed": "Nicht besprochen.", "none_known": "Keine bekannt.",
           "no_known_allergies": "Keine bekannten Allergien", "no_allergy": "Keine Allergie gegen {}",
           "not_taking": "Keine Einnahme von {}", "no": "Kein Hinweis auf {}", "possible": "Möglicherweise {}",
           "history_of": "Anamnestisch {}", "allergy": "Allergie gegen {}", "likely": "Wahrscheinlich {}",
           "suspected": "Verdacht auf {}"},
    "fr": {"not_discussed": "Non abordé.", "none_known": "Aucune connue.",
           "no_known_allergies": "Aucune allergie connue",
           "no_allergy": "Pas d'allergie à {}", "not_taking": "Ne prend pas {}", "no": "Pas de {}",
           "possible": "Possible {}", "history_of": "Antécédent de {}", "allergy": "Allergie à {}",
           "likely": "Probable {}", "suspected": "Suspicion de {}"},
    "it": {"not_discussed": "Non discusso.", "none_known": "Nessuna nota.",
           "no_known_allergies": "Nessuna allergia nota",
           "no_allergy": "Nessuna allergia a {}", "not_taking": "Non assume {}", "no": "Assenza di {}",
           "possible": "Possibile {}", "history_of": "Anamnesi di {}", "allergy": "Allergia a {}",
           "likely": "Probabile {}", "suspected": "Sospetto di {}"},
    "es": {"not_discussed": "No comentado.", "none_known": "Ninguna conocida.",
           "no_known_allergies": "Sin alergias conocidas", "no_allergy": "Sin alergia a {}", "not_taking": "No toma {}",
           "no": "Sin {}", "possible": "Posible {}", "history_of": "Antecedentes de {}", "allergy": "Alergia a {}",
           "likely": "Probable {}", "suspected": "Sospecha de {}"},
}
"""The fixed phrases of a note per language (the DETAILED annotations, patient fields and MY_VOICE leads stay
English)."""
CERTAINTIES = ("hedged", "as_found", "definitive")
_CODE_NAMES = {"snomed": "SNOMED CT", "rxnorm": "RxNorm", "atc": "ATC", "loinc": "LOINC", "cvx": "CVX",
               "icd10": "ICD-10"}


@dataclass(frozen=True)
class Consultation:
    """What a note is written from."""

    transcript: str = ""
    clinician_notes: tuple[str, ...] = ()
    patient: Mapping[str, str | None] = field(default_factory=dict)
    """name, gender, dob, demographic_details; any may be missing or None."""
    context: tuple[str, ...] = ()
    """Earlier notes of linked sessions: the patient's history."""
    addition: str = ""
    """Extra instruction or text the caller fed in."""


@dataclass(frozen=True)
class Section:
    heading: str
    fills: tuple[str, ...]
    """What goes in it, from FILLS, in this order."""


@dataclass(frozen=True)
class NoteTemplate:
    name: str
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class Wording:
    """How a note words what it found. The default is the English wording notes have always had.

    `language`: the fixed phrases (PHRASES) and the finding names (the engine's output language, English for es);
    `codes`: each finding followed by its codes ("(SNOMED CT 29857009)"); `certainty`: "hedged" states a confirmed
    condition as likely, "definitive" a possible one as suspected, "as_found" as the engine found it; `bullets`: every
    paragraph a list item."""

    language: str = "en"
    codes: bool = False
    certainty: str = "as_found"
    bullets: bool = False


ENGLISH = Wording()


@dataclass(frozen=True)
class Mention:
    """Where a finding is mentioned: which text (`source` with its `index` among the clinician notes or earlier
    notes; 0 for the transcript), the span, the engine's status, and the sentence it stands in."""

    source: str
    index: int
    start: int
    end: int
    negated: bool
    historical: bool
    possible: bool
    tagging_certainty: float
    times: tuple[str, ...]
    sentence: tuple[int, int]
    excerpt: str


@dataclass(frozen=True)
class Finding:
    """One entity of the engine (deduplicated by identity signature) with its mentions across the sources."""

    category: str
    concept: str
    fields: Mapping
    """The engine's English identity fields (name, dose, route, frequency; value, unit, components; codes)."""
    mentions: tuple[Mention, ...]

    @property
    def name(self) -> str:
        return self.fields["name"]

    @property
    def negated(self) -> bool:
        return all(mention.negated for mention in self.mentions)

    @property
    def historical(self) -> bool:
        return not self.negated and all(m.historical for m in self.mentions if not m.negated)

    @property
    def possible(self) -> bool:
        return not self.negated and all(m.possible for m in self.mentions if not m.negated)


@dataclass(frozen=True)
class Facts:
    """What the extraction found: `current` in the transcript and clinician notes (in that order of first
    appearance), `earlier` in the context texts."""

    current: tuple[Finding, ...]
    earlier: tuple[Finding, ...]

    def of(self, category: str) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.current if finding.category == category)


@dataclass(frozen=True)
class Block:
    """One piece of a rendered text: a "heading", an "item" of a list or a "paragraph"."""

    kind: str
    text: str


def facts(consultation: Consultation, language: str = "en") -> Facts:
    """Each source text is extracted once (cached by its text), and its mentions keep the source they came from.
    Names are in `language` where the engine has it, English otherwise."""
    language = language if language in _ENGINE_LANGUAGES else "en"
    current = [_read(consultation.transcript, "transcript", 0, language)]
    current += [_read(note, "clinician_note", i, language) for i, note in enumerate(consultation.clinician_notes)]
    earlier = [_read(note, "context", i, language) for i, note in enumerate(consultation.context)]
    return Facts(_merge(current), _merge(earlier))


def write_note(consultation: Consultation, template: NoteTemplate, *, voice_style: str = "GOLDILOCKS",
               content_type: str = "MARKDOWN", wording: Wording = ENGLISH) -> str:
    """The note, section by section; a section its fills have nothing for says so rather than standing empty."""
    _require(voice_style, VOICE_STYLES, "voice_style")
    _require(content_type, CONTENT_TYPES, "content_type")
    _require(wording.language, LANGUAGES, "language")
    _require(wording.certainty, CERTAINTIES, "certainty")
    fills = {fill for section in template.sections for fill in section.fills}
    writer = _Writer(consultation, facts(consultation, wording.language), voice_style, fills, wording)
    phrases = PHRASES[wording.language]
    blocks: list[Block] = []
    for section in template.sections:
        blocks.append(Block("heading", section.heading))
        body = [block for fill in section.fills for block in writer.fill(fill)]
        empty = phrases["none_known" if section.fills and set(section.fills) == {"allergies"} else "not_discussed"]
        blocks += body or [writer.narrative(empty)]
    if wording.bullets:
        blocks = [Block("item", block.text) if block.kind == "paragraph" else block for block in blocks]
    return render(blocks, content_type)


def pieces(text: str) -> list[str]:
    """Stream fragments of three words each; every fragment carries its own spaces, so they join back to `text`."""
    runs = re.findall(r"\S+\s*|\s+", text)
    return ["".join(runs[i:i + 3]) for i in range(0, len(runs), 3)]


def render(blocks: list[Block], content_type: str) -> str:
    """Markdown (`## Heading`, `- item`, paragraphs) or HTML (`<h2>`, `<ul><li>`, `<p>`). Every text is one line
    (whitespace collapsed) and, in HTML, escaped: the input is data and must stay text in a browser."""
    _require(content_type, CONTENT_TYPES, "content_type")
    groups: list[list[Block]] = []
    for block in blocks:
        if groups and block.kind == "item" and groups[-1][-1].kind == "item":
            groups[-1].append(block)
        else:
            groups.append([block])
    if content_type == "HTML":
        return "\n".join(_html(group) for group in groups) + "\n"
    return "\n\n".join(_markdown(group) for group in groups) + "\n"


def label(finding: Finding, wording: Wording = ENGLISH) -> str:
    """How a finding reads in a note: its name and attributes, stated as negated, possible or historical (and, as
    `wording` asks, hedged or definite, with its codes)."""
    phrases = PHRASES[wording.language]
    lower = _lower if wording.language != "de" else str  # German nouns keep their capital
    text = _stated(finding, phrases, lower, wording.certainty)
    codes = finding.fields.get("codes") or {}
    if wording.codes and codes:
        text += " (" + ", ".join(f"{_CODE_NAMES.get(system, system.upper())} {code}"
                                 for system, code in codes.items()) + ")"
    return text


def _stated(finding: Finding, phrases: Mapping[str, str], lower, certainty: str) -> str:
    name = lower(finding.name)
    if finding.negated and finding.concept == GENERIC_ALLERGY:
        return phrases["no_known_allergies"]
    if finding.negated:
        key = {"allergies": "no_allergy", "medications": "not_taking"}.get(finding.category, "no")
        return phrases[key].format(name)
    text = _attributes(finding, phrases)
    if finding.possible:
        text = phrases["suspected" if certainty == "definitive" else "possible"].format(lower(text))
    elif certainty == "hedged" and finding.category == "conditions" and not finding.historical:
        text = phrases["likely"].format(lower(text))
    if finding.historical:
        text = phrases["history_of"].format(lower(text))
    return text


@lru_cache(maxsize=512)
def sentences(text: str) -> tuple[tuple[int, int], ...]:
    """The (start, end) of each sentence, as the extraction engine splits them ("Dr." ends none), with the
    punctuation that opens and closes it ("(see above)", a quotation)."""
    doc = tokenize(text)
    spans: list[list[int]] = []
    for token in range(len(doc)):
        if token and doc.sentence[token] == doc.sentence[token - 1]:
            spans[-1][1] = doc.ends[token]
        else:
            spans.append([doc.starts[token], doc.ends[token]])
    found: list[tuple[int, int]] = []
    for number, (start, end) in enumerate(spans):
        limit = spans[number + 1][0] if number + 1 < len(spans) else len(text)
        floor = found[-1][1] if found else 0
        while start > floor and not (text[start - 1].isspace() or _WORD.match(text[start - 1])):
            start -= 1
        found.append((start, _TRAILING_PUNCTUATION.match(text, end, limit).end()))
    return tuple(found)


def _sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the sentence(s) holding text[start:end]."""
    spans = sentences(text)
    starts = [span[0] for span in spans]
    first = max(bisect_right(starts, start) - 1, 0)
    last = max(bisect_right(starts, max(end - 1, start)) - 1, first)
    return min(spans[first][0], start), max(spans[last][1], end)


def clean(text: str) -> str:
    """One line: every run of whitespace a single space."""
    return " ".join(text.split())


class _Writer:
    """The blocks of each fill for one consultation in one voice style. The history leaves out the complaint and
    the plan sentences only where the template has a place for them (`fills`), so nothing said is lost."""

    def __init__(self, consultation: Consultation, found: Facts, voice_style: str, fills: set[str],
                 wording: Wording = ENGLISH):
        self.consultation = consultation
        self.wording = wording
        self.facts = found
        self.voice = voice_style
        transcript = consultation.transcript
        spans = sentences(transcript)
        conditions = [m for f in found.of("conditions") for m in f.mentions
                      if m.source == "transcript" and not m.negated]
        first_condition = min((m.sentence for m in conditions), default=None)
        self.complaint = first_condition or (spans[0] if spans else None)
        self.plan = [clean(transcript[s:e]) for s, e in spans if _PLAN_CUE.search(transcript[s:e])]
        self.plan += [clean(note[s:e]) for note in consultation.clinician_notes for s, e in sentences(note)
                      if _PLAN_CUE.search(note[s:e])]
        complaint = clean(transcript[slice(*self.complaint)]) if self.complaint else None
        self.story = [clean(transcript[s:e]) for s, e in spans
                      if not ("complaint" in fills and clean(transcript[s:e]) == complaint)
                      and not ("plan" in fills and _PLAN_CUE.search(transcript[s:e]))]
        # a sentence said twice (two recordings of one consultation, a chunk sent again) is written once
        self.plan, self.story = list(dict.fromkeys(self.plan)), list(dict.fromkeys(self.story))

    def fill(self, name: str) -> list[Block]:
        if name in _FILL_CATEGORIES:
            return self._findings(name, self.facts.of(_FILL_CATEGORIES[name]))
        return getattr(self, f"_{name}")()

    def narrative(self, text: str) -> Block:
        """Free text: a paragraph, or in BRIEF a clipped bullet (BRIEF has bullets only)."""
        if self.voice != "BRIEF":
            return Block("paragraph", text)
        words = text.split()
        return Block("item", " ".join(words[:_BRIEF_WORDS]) + (" …" if len(words) > _BRIEF_WORDS else ""))

    def _patient(self) -> list[Block]:
        """The patient as given; what is not given, the transcript may state ("Patient John Doe, DOB ...")."""
        stated = patient_metadata(self.consultation.transcript) or {}
        heard = {"name": stated.get("name"), "gender": stated.get("gender"), "dob": (stated.get("birthday") or "")[:10]}
        heard["gender"] = None if heard["gender"] == "unknown" else heard["gender"]
        parts = []
        for key, title in _PATIENT_FIELDS:
            value = clean(str(self.consultation.patient.get(key) or "")) or clean(str(heard.get(key) or ""))
            if value:
                parts.append(f"{title}: {value}")
        return [self.narrative("; ".join(parts))] if parts else []

    def _complaint(self) -> list[Block]:
        if self.complaint is None:
            return []
        start, end = self.complaint
        text = clean(self.consultation.transcript[start:end])
        return [self.narrative(f"I saw the patient. {text}" if self.voice == "MY_VOICE" else text)]

    def _history(self) -> list[Block]:
        limit = _HISTORY_SENTENCES[self.voice]
        told = self.story[:limit]
        notes = [clean(note) for note in self.consultation.clinician_notes if clean(note)]
        if self.voice == "BRIEF":
            return [self.narrative(sentence) for sentence in told]
        blocks = []
        if notes and self.voice == "MY_VOICE":
            blocks.append(Block("paragraph", "I reviewed my notes: " + " ".join(_period(n) for n in notes)))
        elif notes and self.voice in ("DETAILED", "SUPER_DETAILED"):
            blocks.append(Block("paragraph", "Clinician notes: " + " ".join(_period(n) for n in notes)))
        if told:
            lead = "I took the history: " if self.voice == "MY_VOICE" else ""
            blocks.append(Block("paragraph", lead + " ".join(told)))
        return blocks

    def _plan(self) -> list[Block]:
        if self.voice == "BRIEF":
            return [self.narrative(sentence) for sentence in self.plan]
        lead = [Block("paragraph", "My plan:")] if self.voice == "MY_VOICE" and self.plan else []
        return lead + [Block("item", sentence) for sentence in self.plan]

    def _addition(self) -> list[Block]:
        text = clean(self.consultation.addition)
        return [self.narrative(text)] if text else []

    def _context(self) -> list[Block]:
        earlier = [finding for finding in self.facts.earlier if not finding.negated]
        if not earlier:
            notes = [(i, note, sentences(note)) for i, note in enumerate(self.consultation.context)]
            return [Block("item", f"Earlier note {i + 1}: {clean(note[spans[0][0]:spans[0][1]])}")
                    for i, note, spans in notes if spans]
        return self._lead("earlier notes") + [
            Block("item", self._detailed(finding, f"Previously: {_lower(label(finding, self.wording))}"))
            for finding in earlier]

    def _findings(self, fill: str, found: tuple[Finding, ...]) -> list[Block]:
        """Present findings first, in order of appearance, then what was negated."""
        ordered = [f for f in found if not f.negated] + [f for f in found if f.negated]
        if not ordered:
            return []
        return self._lead(fill) + [Block("item", self._detailed(finding, label(finding, self.wording)))
                                   for finding in ordered]

    def _lead(self, what: str) -> list[Block]:
        return [Block("paragraph", f"I reviewed the {what}:")] if self.voice == "MY_VOICE" else []

    def _detailed(self, finding: Finding, text: str) -> str:
        """DETAILED adds status, sources, mention count, time references and components; SUPER_DETAILED also the
        sentence that says it."""
        if self.voice not in ("DETAILED", "SUPER_DETAILED"):
            return text
        text = f"{text} ({'; '.join(_details(finding))})"
        if self.voice == "SUPER_DETAILED":
            text += f' — evidence: "{clean(finding.mentions[0].excerpt)}"'
        return text


def _details(finding: Finding) -> list[str]:
    parts = ["negated" if finding.negated else "possible" if finding.possible else "confirmed"]
    if finding.historical:
        parts.append("historical")
    sources = dict.fromkeys(_source_name(m) for m in finding.mentions)
    parts.append("from " + ", ".join(sources))
    if len(finding.mentions) > 1:
        parts.append(f"mentioned {len(finding.mentions)} times")
    times = dict.fromkeys(time for m in finding.mentions for time in m.times)
    if times:
        parts.append("time: " + ", ".join(times))
    components = finding.fields.get("components") or ()
    parts += [f"{_lower(c['name'])} {c['value']} {c['unit'] or ''}".rstrip() for c in components]
    return parts


def _source_name(mention: Mention) -> str:
    name = _SOURCE_NAMES[mention.source]
    return f"{name} {mention.index + 1}" if mention.source == "context" else name


def _attributes(finding: Finding, phrases: Mapping[str, str] = PHRASES["en"]) -> str:
    fields = finding.fields
    if finding.category == "medications":
        dose = fields.get("dose")
        parts = [finding.name, dose and re.sub(r"^([\d.½¼]+)(?=[^\d\s.])", r"\1 ", dose), fields.get("route"),
                 fields.get("frequency")]
        return " ".join(part for part in parts if part)
    if finding.category == "observations":
        unit = fields.get("unit") or ""
        return f"{finding.name} {fields['value']}{'' if unit[:1] in ('', '/', '%', '°') else ' '}{unit}"
    if finding.category == "allergies":
        return phrases["allergy"].format(finding.name)
    return finding.name


def _lower(text: str) -> str:
    """Lower-case a leading capital ("Chest pain" -> "chest pain") but not an acronym ("COVID-19", "HbA1c")."""
    first = text.split(" ", 1)[0]
    return text[0].lower() + text[1:] if first[1:].islower() or len(first) == 1 else text


def _period(text: str) -> str:
    return text if text[-1] in ".!?" else text + "."


@lru_cache(maxsize=512)
def _read(text: str, source: str, index: int, language: str = "en") -> tuple[tuple[str, Finding], ...]:
    """One text's findings with their identity signatures, in order of first mention, named in `language`."""
    output = structure_text(text, output_language=language)
    found = []
    for category in CATEGORIES:
        for entity in output[category]:
            fields = entity["identity_fields"]
            mentions = tuple(_mention(text, source, index, item) for item in entity["instantiations"])
            found.append((entity["identity_signature"], Finding(category, fields["concept"], fields, mentions)))
    found.sort(key=lambda pair: pair[1].mentions[0].start)
    return tuple(found)


def _mention(text: str, source: str, index: int, item: dict) -> Mention:
    start, end = item["span"]["start"], item["span"]["end"]
    status = item["status"]
    sentence = _sentence_around(text, start, end)
    return Mention(source, index, start, end, status["negated"], status["historical"],
                   status["certainty"] == "possible", item["tagging_certainty"],
                   tuple(reference["text"] for reference in item["time_references"]), sentence,
                   text[sentence[0]:sentence[1]])


def _merge(per_source: list[tuple]) -> tuple[Finding, ...]:
    """Findings of several texts as one list: an entity found in two texts is one finding with both mentions, and
    a name without attributes ("increase lisinopril") joins the same concept's finding that has them."""
    merged: dict[str, Finding] = {}
    for found in per_source:
        for signature, finding in found:
            merged[signature] = _joined(merged.get(signature), finding)
    described: dict[tuple[str, str], str] = {}
    for signature, finding in merged.items():
        if not _bare(finding):
            described.setdefault((finding.category, finding.concept), signature)
    for signature, finding in list(merged.items()):
        target = described.get((finding.category, finding.concept))
        if _bare(finding) and target is not None:
            merged[target] = _joined(merged[target], merged.pop(signature))
    return tuple(merged.values())


def _joined(known: Finding | None, finding: Finding) -> Finding:
    if known is None:
        return finding
    return Finding(known.category, known.concept, known.fields, known.mentions + finding.mentions)


def _bare(finding: Finding) -> bool:
    return finding.category == "medications" and not {"dose", "route", "frequency"} & set(finding.fields)


def _markdown(group: list[Block]) -> str:
    kind = group[0].kind
    if kind == "heading":
        return f"## {clean(group[0].text)}"
    if kind == "item":
        return "\n".join(f"- {clean(block.text)}" for block in group)
    text = clean(group[0].text)
    return f"\\{text}" if _MARKDOWN_OPENER.match(text) else text


def _html(group: list[Block]) -> str:
    kind = group[0].kind
    if kind == "heading":
        return f"<h2>{html.escape(clean(group[0].text))}</h2>"
    if kind == "item":
        return "<ul>" + "".join(f"<li>{html.escape(clean(block.text))}</li>" for block in group) + "</ul>"
    return f"<p>{html.escape(clean(group[0].text))}</p>"


def _require(value: str, allowed: tuple[str, ...], name: str) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
