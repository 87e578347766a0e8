"""Finding lexicon phrases in a tokenised text: longest match first, left to right, without overlaps.

German compounds the lexicon cannot list one by one ("Penicillinallergie", "Grippeimpfung") are split
into a known target and a cue suffix.
"""

from __future__ import annotations

from dataclasses import dataclass

from mockserver.clinical.extraction.lexicon import LEXICON, Entry
from mockserver.clinical.extraction.text import Doc


@dataclass(frozen=True)
class Match:
    first: int
    last: int
    """Token range [first, last)."""
    entries: tuple[Entry, ...]
    """A "compound" entry is a single word holding both a target and its cue, already of the cue's category."""

    def has(self, role: str) -> bool:
        return any(e.role == role for e in self.entries)

    def of(self, role: str) -> list[Entry]:
        return [e for e in self.entries if e.role == role]


def find(doc: Doc) -> list[Match]:
    matches = []
    i = 0
    while i < len(doc):
        match = _longest(doc, i) or _compound(doc, i)
        if match is None:
            i += 1
        else:
            matches.append(match)
            i = match.last
    return matches


def _longest(doc: Doc, first: int) -> Match | None:
    for length in LEXICON.lengths.get(doc.norms[first], ()):
        last = first + length
        if last > len(doc) or not all(doc.joined[first + 1:last]):
            continue
        entries = LEXICON.phrases.get(tuple(doc.norms[first:last]))
        if entries is None:
            continue
        capitals = doc.surface(first, last).isupper()
        entries = tuple(e for e in entries if capitals or not e.abbreviation)
        if entries:
            return Match(first, last, entries)
    return None


def _compound(doc: Doc, index: int) -> Match | None:
    word = doc.norms[index]
    for suffix, category in LEXICON.compounds:
        prefix = word[:-len(suffix)]
        if not word.endswith(suffix) or len(prefix) < 2:
            continue
        stems = (prefix, prefix[:-1]) if prefix.endswith("s") else (prefix,)
        for stem in stems:
            targets = [e for e in LEXICON.phrases.get((stem,), ()) if e.role == "target" and e.category == category]
            if targets:
                return Match(index, index + 1, (Entry("compound", category, targets[0].concept),))
    return None
