"""The context around a mention: which cue turns a substance into an allergy or a disease into an immunization,
and which negation, history or uncertainty cues reach it (a NegEx-style scope).

A cue before a mention reaches forward through its sentence until a terminator ("but", "aber", "mais", "ma"),
more than three unrelated words, or a comma that leaves the list it began ("no fever, cough" negates both,
"no fever, Temp 37.2" does not negate the temperature). A cue after a mention ("Pneumonie ausgeschlossen") reaches
back over at most two words and never across a comma.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from mockserver.clinical.extraction.lexicon import SCOPE_ROLES
from mockserver.clinical.extraction.matcher import Match
from mockserver.clinical.extraction.text import Doc

MAX_FILLERS_BEFORE = 3
MAX_FILLERS_AFTER = 2
_FUNCTION_ROLES = frozenset({"connector", *SCOPE_ROLES, "allergy_before", "allergy_after", "allergy_generic",
                             "vaccine_before", "vaccine_after"})
_UNAFFECTED = {"observations": {"negated", "possible"}}
"""A measured value is a fact: "no fever, temp 37.2" must not negate the temperature."""


def attach(
    doc: Doc, matches: list[Match], owners: list[int | None], index: int, kind: str
) -> tuple[int, int, int] | None:
    """Where a target at matches[index] meets a `kind` cue ("allergy", "vaccine"): (first token, last token, cue index).

    The span takes the cue in when it is the target's immediate neighbour ("allergic to penicillin",
    "Penicillin-Allergie"); in a list after a cue ("Allergien: Penicillin, Latex") it is the target alone."""
    target = matches[index]
    following = matches[index + 1] if index + 1 < len(matches) else None
    if (following is not None and following.first == target.last and doc.joined[following.first]
            and following.has(f"{kind}_after")):
        return target.first, following.last, index + 1
    adjacent = True
    token = target.first - 1
    while token >= 0 and doc.sentence[token] == doc.sentence[target.first]:
        adjacent = adjacent and not doc.separated[token + 1]
        owner = owners[token]
        if owner is None:
            return None
        match = matches[owner]
        if match.has(f"{kind}_before"):
            return (match.first if adjacent else target.first), target.last, owner
        if not match.has("connector"):
            if not any(e.role == "target" for e in match.entries):
                return None
            adjacent = False
        token = match.first - 1
    return None


def statuses(doc: Doc, matches: list[Match], mentions) -> list[dict]:
    """The status of each mention: {"negated", "historical", "certainty": confirmed|negated|possible}."""
    mention_at: list[int | None] = [None] * len(doc)
    for number, mention in enumerate(mentions):
        for token in range(mention.first, mention.last):
            mention_at[token] = number
    kind_at: list[str | None] = [None] * len(doc)
    for match in matches:
        if match.has("terminator"):
            kind = "terminator"
        elif any(e.role in _FUNCTION_ROLES for e in match.entries):
            kind = "function"
        else:
            continue
        for token in range(match.first, match.last):
            kind_at[token] = kind
    flags: list[set[str]] = [set() for _ in mentions]
    firsts = [mention.first for mention in mentions]
    for match in matches:
        if mention_at[match.first] is not None:
            continue
        for role in SCOPE_ROLES:
            if match.has(role):
                flag, position = role.split("_")
                if position == "before":
                    reached = _forward(doc, mentions, bisect_left(firsts, match.last), mention_at, kind_at, match)
                else:
                    reached = _backward(doc, mentions, bisect_right(firsts, match.first), mention_at, kind_at, match)
                for number in reached:
                    flags[number].add(flag)
    result = []
    for mention, found in zip(mentions, flags, strict=True):
        found -= _UNAFFECTED.get(mention.category, set())
        certainty = "negated" if "negation" in found else "possible" if "possible" in found else "confirmed"
        result.append({"negated": "negation" in found, "historical": "historical" in found, "certainty": certainty})
    return result


def _forward(doc, mentions, start: int, mention_at, kind_at, cue: Match):
    """The mentions a cue before them reaches; mentions[start] is the first after the cue."""
    previous, category = cue.last, None
    for number in range(start, len(mentions)):
        mention = mentions[number]
        if doc.sentence[mention.first] != doc.sentence[cue.first]:
            return
        between = range(previous, mention.first)
        if _blocked(between, mention_at, kind_at, MAX_FILLERS_BEFORE):
            return
        if any(doc.comma[t] for t in range(previous, mention.first + 1)) and category not in (None, mention.category):
            return
        yield number
        previous, category = mention.last, category or mention.category


def _backward(doc, mentions, stop: int, mention_at, kind_at, cue: Match):
    """The mentions a cue after them reaches; mentions[:stop] begin before the cue."""
    previous = cue.first
    for number in range(stop - 1, -1, -1):
        mention = mentions[number]
        if doc.sentence[mention.first] != doc.sentence[cue.first]:
            return
        between = range(mention.last, previous)
        if _blocked(between, mention_at, kind_at, MAX_FILLERS_AFTER):
            return
        if any(doc.comma[t] for t in range(mention.last, previous + 1)):
            return
        yield number
        previous = mention.first


def _blocked(tokens: range, mention_at, kind_at, max_fillers: int) -> bool:
    """A terminator, or more words that are neither mentions, cues nor connectors than a scope may skip."""
    if any(kind_at[t] == "terminator" for t in tokens):
        return True
    return sum(1 for t in tokens if kind_at[t] is None and mention_at[t] is None) > max_fillers
