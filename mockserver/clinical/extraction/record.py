"""One record's structured output: the six entity lists, each entity deduplicated by signature with its mentions
(instantiations) in text order."""

from __future__ import annotations

from mockserver.clinical.extraction import context, dates, identity, matcher, mentions, patient
from mockserver.clinical.extraction.lexicon import CATEGORIES, GENERIC_ALLERGY, LANGUAGES
from mockserver.clinical.extraction.text import tokenize


def structure(text: str, language: str) -> dict:
    if language not in LANGUAGES:
        raise ValueError(f"output_language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    doc = tokenize(text)
    matches = matcher.find(doc)
    found = mentions.resolve(doc, matches)
    times = _times_by_sentence(doc, text, found)
    output: dict[str, list] = {category: [] for category in CATEGORIES}
    entities: dict[str, dict] = {}
    for mention, status in zip(found, context.statuses(doc, matches, found), strict=True):
        if mention.concept == GENERIC_ALLERGY and not status["negated"]:
            continue
        key = identity.signature(mention.category, mention.concept, mention.attributes)
        entity = entities.get(key)
        if entity is None:
            entity = entities[key] = {
                "identity_signature": key,
                "identity_fields": identity.fields(mention.category, mention.concept, mention.attributes, language),
                "instantiations": []}
            output[mention.category].append(entity)
        entity["instantiations"].append({
            "display_str": text[mention.start:mention.end],
            "span": {"start": mention.start, "end": mention.end},
            "tagging_certainty": mention.certainty,
            "time_references": [reference.to_json(text) for reference in times.get(doc.sentence[mention.first], [])],
            "status": status})
    return output


def _times_by_sentence(doc, text: str, found) -> dict[int, list[dates.TimeReference]]:
    """Dates and durations grouped by the sentence they are in: a mention's time references are its sentence's.
    A birth date is the patient's, and a number inside a mention ("Leukozyten 2000") is a value, not a time."""
    grouped: dict[int, list[dates.TimeReference]] = {}
    in_mention = [False] * len(doc)
    for mention in found:
        in_mention[mention.first:mention.last] = [True] * (mention.last - mention.first)
    births = {(start, end) for _, start, end in patient.birth_dates(text)}
    for reference in dates.find(text):
        first, last = doc.token_at(reference.start), doc.token_at(reference.end - 1)
        if first >= 0 and (reference.start, reference.end) not in births and not any(in_mention[first:last + 1]):
            grouped.setdefault(doc.sentence[first], []).append(reference)
    return grouped
