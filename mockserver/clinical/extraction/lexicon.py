"""The lexicons shipped as data under `clinical/lexicons/`: one file per language plus language-neutral codes.

Loaded, cross-checked and indexed once at import, so extraction itself only does dictionary lookups. Texts
are matched against the union of all four languages: a record does not say its language, and a German
letter quoting an English diagnosis is common.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from mockserver.clinical.extraction.text import is_abbreviation, normalize, squeeze, tokenize

LANGUAGES = ("en", "de", "fr", "it")
CATEGORIES = ("medications", "conditions", "procedures", "allergies", "immunizations", "observations")
GENERIC_ALLERGY = "allergy"
"""The concept of an allergy mentioned without a substance ("keine Allergien"); it has no codes."""
CUE_KINDS = {"allergy": "allergies", "vaccine": "immunizations"}
"""Cue families that turn a target term (a substance, a disease) into an entity of that category."""
SCOPE_ROLES = ("negation_before", "negation_after", "historical_before", "historical_after", "possible_before",
               "possible_after")
_LIST_ROLES = {"terminators": "terminator", "connectors": "connector"}
_DIRECTORY = Path(__file__).resolve().parent.parent / "lexicons"


@dataclass(frozen=True)
class Entry:
    """One meaning of a phrase: an entity term, a target needing a cue, or a cue/connector/terminator."""

    role: str
    category: str | None = None
    concept: str | None = None
    abbreviation: bool = False


class Lexicon:
    def __init__(self, directory: Path = _DIRECTORY):
        self.codes: dict = _read(directory / "codes.json")
        self._data = {language: _read(directory / f"{language}.json") for language in LANGUAGES}
        self._names: dict[tuple[str, str, str], str] = {}
        self.phrases: dict[tuple[str, ...], tuple[Entry, ...]] = {}
        self.compounds: list[tuple[str, str]] = []
        self.frequencies: dict[str, str] = {}
        self.routes: dict[str, str] = {}
        for language, data in self._data.items():
            self._load_language(language, data)
        self.compounds.sort(key=lambda item: -len(item[0]))
        self.lengths = _lengths(self.phrases)
        self._keys = {(table, normalize(name)): key for (table, key, _), name in self._names.items()
                      if table in ("frequencies", "routes")}
        self._check()

    def _load_language(self, language: str, data: dict) -> None:
        for category in CATEGORIES:
            role = "target" if category == "allergies" else "term"
            for concept, terms in data[category].items():
                self._names[(category, concept, language)] = terms[0]
                for term in terms:
                    self._add(term, Entry(role, category, concept, is_abbreviation(term)))
        for concept, terms in data["vaccine_targets"].items():
            for term in terms:
                self._add(term, Entry("target", "immunizations", concept, is_abbreviation(term)))
        for table, lookup in (("frequencies", self.frequencies), ("routes", self.routes)):
            for key, terms in data[table].items():
                self._names[(table, key, language)] = terms[0]
                for term in terms:
                    _register(lookup, squeeze(term), key, f"{language} {table}")
        cues = data["cues"]
        for section in (*SCOPE_ROLES, *_LIST_ROLES):
            for term in cues[section]:
                self._add(term, Entry(_LIST_ROLES.get(section, section), abbreviation=is_abbreviation(term)))
        self._names[("allergies", GENERIC_ALLERGY, language)] = cues["allergy"]["name"]
        for kind, category in CUE_KINDS.items():
            for position in ("before", "after", "generic"):
                for term in cues[kind].get(position, ()):
                    self._add(term, Entry(f"{kind}_{position}", abbreviation=is_abbreviation(term)))
            self.compounds.extend((normalize(suffix), category) for suffix in cues[kind]["compounds"])

    def _add(self, term: str, entry: Entry) -> None:
        key = tuple(tokenize(term).norms)
        if not key:
            raise ValueError(f"lexicon term {term!r} has no word in it")
        entries = self.phrases.get(key, ())
        if entry not in entries:
            self.phrases[key] = (*entries, entry)

    def name(self, category: str, concept: str, language: str) -> str:
        """The canonical name of a concept (or frequency, route) in `language`."""
        return self._names[(category, concept, language)]

    def key_of(self, table: str, name: str) -> str | None:
        """The key of a frequency or route from its name in any language ("zweimal täglich" -> "twice daily")."""
        return self._keys.get((table, normalize(name)))

    def concept_codes(self, category: str, concept: str) -> dict:
        """Standard codes of a concept ({"snomed": ...}); empty where the lexicon knows none."""
        entry = self.codes.get(category, {}).get(concept) or {}
        return {system: entry[system] for system in ("snomed", "rxnorm", "atc", "loinc", "cvx") if system in entry}

    def observation(self, concept: str) -> dict:
        return self.codes["observations"][concept]

    def languages(self, section: str):
        """`section` of every language file, in LANGUAGES order."""
        return [self._data[language][section] for language in LANGUAGES]

    def _check(self) -> None:
        """Every concept a language file names is in codes.json; every codes.json concept has a name in
        every language."""
        problems = []
        for category in CATEGORIES:
            known = set(self.codes[category]) | ({GENERIC_ALLERGY} if category == "allergies" else set())
            for language, data in self._data.items():
                named = set(data[category]) | ({GENERIC_ALLERGY} if category == "allergies" else set())
                problems += [f"{language} {category}: {c} is not in codes.json" for c in sorted(named - known)]
                problems += [f"{language} {category}: no name for {c}" for c in sorted(known - named)]
                if category == "immunizations":
                    unknown = sorted(set(data["vaccine_targets"]) - known)
                    problems += [f"{language} vaccine_targets: unknown {c}" for c in unknown]
        for table in ("frequencies", "routes"):
            for language, data in self._data.items():
                if set(data[table]) != set(self.codes[table]):
                    problems.append(f"{language} {table}: keys differ from codes.json")
        if problems:
            raise ValueError("lexicon inconsistent: " + "; ".join(problems))


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _register(lookup: dict[str, str], surface: str, key: str, where: str) -> None:
    if lookup.setdefault(surface, key) != key:
        raise ValueError(f"lexicon: {where} {surface!r} means both {lookup[surface]!r} and {key!r}")


def _lengths(phrases) -> dict[str, tuple[int, ...]]:
    """For each first token, the phrase lengths starting with it, longest first (the matcher tries them in order)."""
    lengths: dict[str, set[int]] = {}
    for key in phrases:
        lengths.setdefault(key[0], set()).add(len(key))
    return {first: tuple(sorted(values, reverse=True)) for first, values in lengths.items()}


LEXICON = Lexicon()
