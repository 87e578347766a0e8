"""Patient demographics stated in a text: "Patient John Doe, DOB 1990-01-01", "Patientin Erika Mustermann,
geb. 12.08.1964", "Mme Marie Dupont, née le 03/04/1975", "il paziente Mario Rossi, nato il 5 maggio 1950".

Gender comes from explicit cues (Patientin, Frau, Mrs, she, Monsieur, nata ...), counted; only where they
are silent or tied does a short list of common first names decide.
"""

from __future__ import annotations

import re

from mockserver.clinical.extraction import dates
from mockserver.clinical.extraction.lexicon import LEXICON
from mockserver.clinical.extraction.text import normalize, phrase_pattern

_SECTIONS = LEXICON.languages("patient")
_NAME_WORD = re.compile(r"[^\W\d_][\w'’\-]*")
_NAME_RUN = re.compile(r"[^\W\d_][\w'’\-]*(?:[ \t]+[^\W\d_][\w'’\-]*){0,3}")


def _cues(field: str) -> str:
    """Cues as whole words; those written with a capital ("Herr", "Mme", "M.") must be capitalised in the text too."""
    surfaces = sorted({s for section in _SECTIONS for s in section[field]}, key=lambda s: (-len(s), s))
    patterns = [f"(?-i:{phrase_pattern(s)})" if any(c.isupper() for c in s) else phrase_pattern(s) for s in surfaces]
    return rf"(?<!\w)(?:{'|'.join(patterns)})(?![^\W_])"


_NAME_CUE = re.compile(_cues("name_cues") + r"\.?[ \t]*:?[ \t]+", re.I)
_BIRTH_CUE = re.compile(_cues("birth_cues") + r"[ \t]*:?[ \t]*", re.I)
_GENDER_CUES = {gender: re.compile(_cues(gender), re.I) for gender in ("other", "female", "male")}
_FIRST_NAMES = {normalize(name): gender for section in _SECTIONS for gender in ("female", "male")
                for name in section[f"{gender}_names"]}


def _lexicon_words(keep) -> set[str]:
    """Single-word lexicon phrases with an entry `keep` accepts."""
    return {key[0] for key, entries in LEXICON.phrases.items() if len(key) == 1 and any(keep(e) for e in entries)}


_NOT_NAMES = ({normalize(w) for section in _SECTIONS for w in section["not_names"]}
              | {normalize(w) for section in _SECTIONS for field in ("name_cues", "birth_cues") for s in section[field]
                 for w in _NAME_WORD.findall(s)}
              | _lexicon_words(lambda e: e.role != "target")) - _lexicon_words(lambda e: e.role == "connector")
"""Capitalised words that are not a name: headings, cue words, and lexicon terms (German nouns are capitalised).
Substances ("Nickel") and particles ("Di", "de") can be parts of names."""


def metadata(text: str) -> dict | None:
    name = _name(text)
    birthday = _birthday(text)
    gender = _gender(text, name)
    if name is None and birthday is None and gender == "unknown":
        return None
    return {"name": name, "gender": gender, "birthday": birthday}


def merge(known: dict | None, found: dict | None) -> dict | None:
    """Patient metadata across records: what is known stays, gaps are filled from later records."""
    if found is None or known is None:
        return dict(known or found) if (known or found) else None
    merged = dict(known)
    for field in ("name", "birthday"):
        if not merged.get(field):
            merged[field] = found[field]
    if merged.get("gender") in (None, "unknown"):
        merged["gender"] = found["gender"]
    return merged


def _name(text: str) -> str | None:
    """The first run of two to four capitalised words after a name cue."""
    for cue in _NAME_CUE.finditer(text):
        run = _NAME_RUN.match(text, cue.end())
        if run is None:
            continue
        accepted = []
        for word in _NAME_WORD.finditer(run.group()):
            if not word.group()[0].isupper() or normalize(word.group()) in _NOT_NAMES:
                break
            accepted.append(word)
        if len(accepted) >= 2:
            return run.group()[:accepted[-1].end()]
    return None


def birth_dates(text: str):
    """(ISO date, start, end) of each date stated as a birth date ("DOB 1990-01-01", "geb. 12.08.1964")."""
    for cue in _BIRTH_CUE.finditer(text):
        found = dates.date_at(text, cue.end())
        if found is not None:
            yield found[0], cue.end(), found[1]


def _birthday(text: str) -> str | None:
    first = next(birth_dates(text), None)
    return f"{first[0]}T00:00:00Z" if first else None


def _gender(text: str, name: str | None) -> str:
    if _GENDER_CUES["other"].search(text):
        return "other"
    female, male = (len(_GENDER_CUES[g].findall(text)) for g in ("female", "male"))
    if female != male:
        return "female" if female > male else "male"
    return _FIRST_NAMES.get(normalize(name.split()[0]), "unknown") if name else "unknown"
