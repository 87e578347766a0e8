"""Dates and durations in clinical text, as ISO 8601: "12.03.2023", "2023-03-12", "12. März 2023", "03/2023",
"since 2019", "St. n. Appendektomie 2015" (a bare year only from 1900 to 2099), "for 3 days" (P3D).

Numeric dates are read day first (12/03/2023 is 12 March), as in the European records the API serves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from mockserver.clinical.extraction.lexicon import LEXICON
from mockserver.clinical.extraction.text import alternation, squeeze

_MONTHS = {name.casefold(): number for months in LEXICON.languages("time") for name, number in months["months"].items()}
_UNITS = {squeeze(surface): letter for time in LEXICON.languages("time")
          for letter, surfaces in time["duration_units"].items() for surface in surfaces}
_YEAR_CUES = alternation(cue for time in LEXICON.languages("time") for cue in time["year_cues"])
_DURATION_CUES = alternation(cue for time in LEXICON.languages("time") for cue in time["duration_cues"])
_MONTH = f"(?P<month>{alternation(_MONTHS)})"
_DAY = r"(?P<day>[0-9]{1,2})"
_YEAR = r"(?P<year>[0-9]{4})(?![0-9])"

_FULL_DATES = [re.compile(p, re.I) for p in (
    rf"(?<![0-9-]){_YEAR}-(?P<mon>[0-9]{{1,2}})-{_DAY}(?![0-9-])",
    rf"(?<![0-9.,/]){_DAY}[./](?P<mon>[0-9]{{1,2}})[./]{_YEAR}",
    rf"(?<!\w){_DAY}(?:\.|er|st|nd|rd|th)?\s+{_MONTH}\.?,?\s+{_YEAR}",
    rf"(?<!\w){_MONTH}\.?\s+{_DAY}(?:st|nd|rd|th)?,\s*{_YEAR}",
)]
_PARTIAL_DATES = [re.compile(p, re.I) for p in (
    rf"(?<!\w){_MONTH}\.?\s+{_YEAR}",
    rf"(?<![0-9.,/])(?P<mon>[0-9]{{1,2}})[./]{_YEAR}(?![.,/][0-9])",
    rf"(?<![0-9-]){_YEAR}-(?P<mon>[0-9]{{2}})(?![0-9-])",
    rf"{_YEAR_CUES}\s+{_YEAR}(?![.,/-][0-9])",
    r"(?<![\w.,/-])(?P<year>(?:19|20)[0-9]{2})(?![\w/-]|[.,][0-9])",
)]
_DURATION = re.compile(rf"{_DURATION_CUES}\s+(?P<count>[0-9]{{1,3}})\s*(?P<unit>{alternation(_UNITS)})", re.I)


@dataclass(frozen=True)
class TimeReference:
    start: int
    end: int
    type: str
    """"date" (value YYYY, YYYY-MM or YYYY-MM-DD) or "duration" (value like P3D, PT6H)."""
    value: str

    def to_json(self, text: str) -> dict:
        return {"type": self.type, "value": self.value, "text": text[self.start:self.end],
                "span": {"start": self.start, "end": self.end}}


def find(text: str) -> list[TimeReference]:
    """Every date and duration in `text`, in order; where two readings overlap the longer one wins."""
    found = [TimeReference(m.start(), m.end(), "date", value)
             for pattern in (*_FULL_DATES, *_PARTIAL_DATES) for m in pattern.finditer(text)
             if (value := _iso(m)) is not None]
    found += [TimeReference(m.start(), m.end(), "duration", _duration(m)) for m in _DURATION.finditer(text)]
    kept: list[TimeReference] = []
    for ref in sorted(found, key=lambda r: (r.start, r.start - r.end)):
        if not kept or ref.start >= kept[-1].end:
            kept.append(ref)
    return kept


def date_at(text: str, position: int) -> tuple[str, int] | None:
    """A full calendar date starting exactly at `position`, as (YYYY-MM-DD, end offset)."""
    for pattern in _FULL_DATES:
        match = pattern.match(text, position)
        if match and (value := _iso(match)):
            return value, match.end()
    return None


def _iso(match: re.Match) -> str | None:
    groups = match.groupdict()
    year = int(groups["year"])
    if not 1900 <= year <= 2100:
        return None
    month = _MONTHS[match.group("month").casefold()] if groups.get("month") else groups.get("mon")
    if month is None:
        return f"{year:04d}"
    month = int(month)
    if not 1 <= month <= 12:
        return None
    if groups.get("day") is None:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, int(groups["day"])).isoformat()
    except ValueError:
        return None


def _duration(match: re.Match) -> str:
    letter = _UNITS[squeeze(match.group("unit"))]
    count = int(match.group("count"))
    return f"PT{count}H" if letter == "H" else f"P{count}{letter}"
