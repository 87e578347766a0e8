"""Turning phrase matches into entity mentions: which category a match is (a term can mean several), how far its
span reaches (cue, dose, value), and how sure the tagging is.

A target ("penicillin", "influenza") becomes an allergy or immunization only beside its cue; an observation
name only with a value after it; otherwise the first direct term wins (lexicon category order).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mockserver.clinical.extraction import attributes, context
from mockserver.clinical.extraction.lexicon import CUE_KINDS, GENERIC_ALLERGY, LEXICON, Entry
from mockserver.clinical.extraction.matcher import Match
from mockserver.clinical.extraction.text import Doc

CERTAINTY = {"term": 0.95, "compound": 0.9, "abbreviation": 0.85}
"""tagging_certainty: a full lexicon term, a split German compound, an abbreviation ("HTN", "BP")."""
_KIND_OF = {category: kind for kind, category in CUE_KINDS.items()}


@dataclass
class Mention:
    category: str
    concept: str
    first: int
    last: int
    """Tokens [first, last) covered, attributes included."""
    start: int
    end: int
    certainty: float
    attributes: dict = field(default_factory=dict)


def resolve(doc: Doc, matches: list[Match]) -> list[Mention]:
    """The mentions in `doc`, in text order, not overlapping; generic allergies ("keine Allergien") included."""
    owners: list[int | None] = [None] * len(doc)
    for index, match in enumerate(matches):
        for token in range(match.first, match.last):
            owners[token] = index
    mentions: list[Mention] = []
    used_cues: set[int] = set()
    consumed = 0
    for index, match in enumerate(matches):
        if doc.starts[match.first] < consumed:
            continue
        mention = _resolve(doc, matches, owners, index, used_cues)
        if mention is not None:
            mentions.append(mention)
            consumed = mention.end
    covered = {token for m in mentions for token in range(m.first, m.last)}
    for index, match in enumerate(matches):
        if match.has("allergy_generic") and index not in used_cues and match.first not in covered:
            mentions.append(_mention(doc, "allergies", GENERIC_ALLERGY, match.first, match.last, CERTAINTY["term"]))
    return sorted(mentions, key=lambda m: m.start)


def _resolve(doc, matches, owners, index, used_cues) -> Mention | None:
    match = matches[index]
    compound = match.of("compound")
    if compound:
        return _mention(doc, compound[0].category, compound[0].concept, match.first, match.last, CERTAINTY["compound"])
    for entry in match.of("target"):
        attached = context.attach(doc, matches, owners, index, _KIND_OF[entry.category])
        if attached is not None:
            first, last, cue = attached
            used_cues.add(cue)
            return _mention(doc, entry.category, entry.concept, first, last, _certainty(entry))
    terms = match.of("term")
    after = doc.ends[match.last - 1]
    for entry in sorted((e for e in terms if e.category == "observations"), key=_ratio_first):
        read = attributes.observation(doc.text, after, entry.concept)
        if read is not None:
            return _mention(doc, entry.category, entry.concept, match.first, match.last, _certainty(entry), *read)
    for entry in terms:
        if entry.category == "medications":
            return _mention(doc, entry.category, entry.concept, match.first, match.last, _certainty(entry),
                            *attributes.medication(doc.text, after))
        if entry.category != "observations":
            return _mention(doc, entry.category, entry.concept, match.first, match.last, _certainty(entry))
    return None


def _mention(doc: Doc, category: str, concept: str, first: int, last: int, certainty: float,
             end: int | None = None, found: dict | None = None) -> Mention:
    end = max(end or 0, doc.ends[last - 1])
    return Mention(category, concept, first, doc.token_at(end - 1) + 1, doc.starts[first], end, certainty, found or {})


def _certainty(entry: Entry) -> float:
    return CERTAINTY["abbreviation" if entry.abbreviation else "term"]


def _ratio_first(entry: Entry) -> bool:
    """Blood pressure ("RR 130/80") is tried before respiratory rate ("RR 16"): the ratio is the stricter reading."""
    return "components" not in LEXICON.observation(entry.concept)
