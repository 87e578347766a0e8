"""What follows a name: a medication's dose, route and frequency ("1000mg twice daily", "400 mg p.o. 3x täglich",
"5 mg 1-0-1"), an observation's value and unit ("120/80 mmHg", "38,5 °C", ": 7.2 %").

Read with regexes anchored where the name ends, so what they consume becomes part of the mention's span.
"""

from __future__ import annotations

import re

from mockserver.clinical.extraction.lexicon import LEXICON
from mockserver.clinical.extraction.text import alternation, squeeze

_DOSE_SURFACES = {surface: unit for unit, data in LEXICON.codes["dose_units"].items() for surface in data["surfaces"]}
_DOSE_UNITS = {squeeze(surface): unit for surface, unit in _DOSE_SURFACES.items()}
_DOSE = re.compile(rf"(?P<number>[0-9]+(?:[.,][0-9]+)?|½|¼)\s*(?P<unit>{alternation(_DOSE_SURFACES, glued=True)})",
                   re.I)


def _every_term(section: str) -> list[str]:
    """The surface forms of a per-language table (routes, frequencies) in all languages."""
    return [term for table in LEXICON.languages(section) for terms in table.values() for term in terms]


_ROUTE = re.compile(alternation(_every_term("routes")), re.I)
_FREQUENCY = re.compile(alternation(_every_term("frequencies")), re.I)
_SCHEME = re.compile(r"(?<![\w.,/-])(?:[0-9½¼](?:[.,/][0-9])?)(?:\s*-\s*(?:[0-9½¼](?:[.,/][0-9])?)){2,3}(?![\w-])")
_TIMES_PER_DAY = {1: "daily", 2: "twice daily", 3: "three times daily", 4: "four times daily"}
_SEPARATOR = re.compile(r"[ \t]*[,:]?[ \t]*")
_FRACTIONS = {"½": 0.5, "¼": 0.25}

_LEAD = re.compile(r"[ \t]*(?:[:=]|(?:of|was|is|at|von|ist|bei|de|est|à|a|di|è)(?!\w))?[ \t]*", re.I)
_VALUE = r"(?P<number>[0-9]{1,4}(?:[.,][0-9]{1,3})?)(?![0-9])"


def medication(text: str, position: int) -> tuple[int, dict]:
    """(end, {"dose", "frequency", "route"}) read after a medication name; each attribute at most once, any order."""
    attributes: dict = {}
    end = position
    while True:
        at = _SEPARATOR.match(text, end).end()
        for name, read in _READERS:
            if name not in attributes and (found := read(text, at)) is not None:
                attributes[name], end = found
                break
        else:
            return end, attributes


def observation(text: str, position: int, concept: str) -> tuple[int, dict] | None:
    """(end, {"value", "unit", "parts"?}) when a value follows an observation name; None when none does (then it is
    no observation)."""
    pattern, units, default = _OBSERVATIONS[concept]
    match = pattern.match(text, _LEAD.match(text, position).end())
    if match is None:
        return None
    unit = units[squeeze(match.group("unit"))] if match.group("unit") else default
    first = number(match.group("number"))
    if "second" not in pattern.groupindex:
        return match.end(), {"value": first, "unit": unit}
    second = number(match.group("second"))
    return match.end(), {"value": f"{first}/{second}", "unit": unit, "parts": [first, second]}


def number(text: str) -> int | float:
    """ "38,5" -> 38.5, "72" -> 72: decimal commas are European decimals, whole numbers stay integers."""
    if text in _FRACTIONS:
        return _FRACTIONS[text]
    value = float(text.replace(",", "."))
    return int(value) if value.is_integer() else value


def _dose(text: str, at: int):
    match = _DOSE.match(text, at)
    if match is None:
        return None
    unit = _DOSE_UNITS[squeeze(match.group("unit"))]
    data = LEXICON.codes["dose_units"][unit]
    amount = number(match.group("number"))
    shown = f"{amount}{unit}" if data["compact"] else f"{amount} {data.get('plural', unit) if amount != 1 else unit}"
    return shown, match.end()


def _route(text: str, at: int):
    match = _ROUTE.match(text, at)
    return (LEXICON.routes[squeeze(match.group())], match.end()) if match else None


def _frequency(text: str, at: int):
    match = _FREQUENCY.match(text, at)
    if match:
        return LEXICON.frequencies[squeeze(match.group())], match.end()
    scheme = _SCHEME.match(text, at)
    if scheme is None:
        return None
    taken = sum(1 for part in re.split(r"\s*-\s*", scheme.group()) if number(part.replace("/", ".")) != 0)
    return (_TIMES_PER_DAY[taken], scheme.end()) if taken in _TIMES_PER_DAY else None


_READERS = (("dose", _dose), ("route", _route), ("frequency", _frequency))


def _observation_pattern(concept: str) -> tuple[re.Pattern, dict[str, str], str | None]:
    """Per observation: its value regex (two numbers for a ratio such as blood pressure), its units by surface, its
    default unit."""
    data = LEXICON.observation(concept)
    surfaces = {surface: unit for unit in data["units"] for surface in LEXICON.codes["units"][unit]["surfaces"]}
    value = (rf"{_VALUE}\s*/\s*(?P<second>[0-9]{{1,3}})(?![0-9])" if "components" in data
             else rf"{_VALUE}(?!\s*/\s*[0-9])")
    unit = rf"(?:\s*(?P<unit>{alternation(surfaces, glued=True)}))?" if surfaces else "(?P<unit>)"
    units = {squeeze(surface): unit for surface, unit in surfaces.items()}
    return re.compile(value + unit, re.I), units, (data["units"] or [None])[0]


_OBSERVATIONS = {concept: _observation_pattern(concept) for concept in LEXICON.codes["observations"]}
