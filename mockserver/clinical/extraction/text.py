"""Tokens, normalisation and sentences of a clinical text.

Matching works on normalised tokens (case-folded, accents stripped) so "Diabète", "diabete" and "DIABÈTE"
meet the same lexicon entry, while every token keeps its character offsets into the original text: spans
are always cut from the input, never from a normalised copy.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

_TOKEN = re.compile(r"\w[\w\u0300-\u036f]*")
_JOINABLE_GAP = re.compile(r"[ \t\r\n\-/.'’]{0,3}")
_SENTENCE_END = re.compile(r"[!?;]|\.(?:\s|$)")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
_ABBREVIATIONS = frozenset({"st", "dr", "pat", "geb", "tgl", "ca", "bzw", "nr", "sig", "mr", "mrs", "ms", "prof", "vd",
                            "bed", "dat", "mme", "mlle", "vs"})
"""Tokens a full stop follows without ending the sentence ("St. n.", "Dr.", "geb."); single letters count too."""

_RUN = re.compile(r"[^\W\d_]+|\d+|\s+|.", re.S)
_WORD_BOUNDARY_BEFORE = r"(?<!\w)"
_WORD_BOUNDARY_AFTER = r"(?!\w)"


@lru_cache(maxsize=65536)
def normalize(word: str) -> str:
    """Case-folded, without accents or ligatures: the form every lexicon lookup uses."""
    decomposed = unicodedata.normalize("NFKD", word.casefold().translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def is_abbreviation(surface: str) -> bool:
    """All-caps terms of up to four letters ("HTN", "BP", "DM 2") are matched only in capitals."""
    letters = [c for c in surface if c.isalpha()]
    return 0 < len(letters) <= 4 and all(c.isupper() for c in letters)


def phrase_pattern(surface: str) -> str:
    """A regex for a surface form, tolerant of spacing ("1x", "1 x"; "p.o.", "p. o."); abbreviations
    stay case-sensitive."""
    parts: list[str] = []
    for run in _RUN.findall(surface):
        if run.isspace():
            parts.append(r"\s+")
            continue
        if parts and parts[-1] != r"\s+":
            parts.append(r"\s*")
        parts.append(re.escape(run))
    pattern = "".join(parts)
    return f"(?-i:{pattern})" if is_abbreviation(surface) else pattern


def alternation(surfaces, *, glued: bool = False) -> str:
    """One group matching any of `surfaces` as whole words, longest first so the regex prefers "mg/dL" to "mg".
    `glued` surfaces may follow a number directly ("10mg", "38.5°C")."""
    ordered = sorted(set(surfaces), key=lambda s: (-len(s), s))
    before = "" if glued else _WORD_BOUNDARY_BEFORE
    return f"{before}(?:{'|'.join(phrase_pattern(s) for s in ordered)}){_WORD_BOUNDARY_AFTER}"


def squeeze(surface: str) -> str:
    """The key under which a regex-matched surface is looked up: case-folded, whitespace removed."""
    return "".join(surface.split()).casefold()


@dataclass
class Doc:
    """A tokenised text: per token its offsets, normalised form, sentence number and what separates it from the last."""

    text: str
    starts: list[int]
    ends: list[int]
    norms: list[str]
    joined: list[bool]
    """Token i continues a phrase begun at i-1: only spaces, hyphens, slashes, apostrophes or dots between."""
    comma: list[bool]
    """The gap before token i holds a comma (lists; where negation scopes may stop)."""
    separated: list[bool]
    """The gap before token i holds a comma, colon or parenthesis (a list or a header, not one phrase)."""
    sentence: list[int]

    def __len__(self) -> int:
        return len(self.norms)

    def surface(self, first: int, last: int) -> str:
        return self.text[self.starts[first]:self.ends[last - 1]]

    def token_at(self, offset: int) -> int:
        """The index of the last token starting at or before `offset` (-1 if none)."""
        return bisect_right(self.starts, offset) - 1


def tokenize(text: str) -> Doc:
    starts, ends, norms = [], [], []
    for match in _TOKEN.finditer(text):
        starts.append(match.start())
        ends.append(match.end())
        norms.append(normalize(match.group()))
    joined, comma, separated, sentence = [], [], [], []
    number = 0
    for i in range(len(norms)):
        gap = text[ends[i - 1]:starts[i]] if i else ""
        boundary = bool(i) and _ends_sentence(gap, norms[i - 1], text[starts[i]])
        number += boundary
        sentence.append(number)
        joined.append(bool(i) and not boundary and _JOINABLE_GAP.fullmatch(gap) is not None)
        comma.append("," in gap)
        separated.append(any(c in gap for c in ",:()[]"))
    return Doc(text, starts, ends, norms, joined, comma, separated, sentence)


def _ends_sentence(gap: str, previous: str, next_char: str) -> bool:
    """Whether the gap between two tokens ends a sentence: ! ? ; a full stop that is not an abbreviation's, or a
    line break before a capital (a wrapped line goes on in lower case)."""
    if "\n" in gap and not next_char.islower():
        return True
    match = _SENTENCE_END.search(gap)
    if match is None:
        return False
    if match.group()[0] != ".":
        return True
    abbreviation = (len(previous) == 1 and not previous.isdigit()) or previous in _ABBREVIATIONS
    return not abbreviation and not next_char.islower()
