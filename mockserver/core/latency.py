"""A global latency on every vendor answer, so a frontend sees its spinners: fixed, or a uniform random range.

`serve --latency` and the admin API (`/_mock/latency`) set it; a reset returns to the start value. It is
not a fault: nothing is counted or journaled as one. The request's own thread sleeps, as a latency fault does.
"""

from __future__ import annotations

import random
import re

MAX_MS = 60_000
"""The longest latency, as for a fault rule's `latency_ms`: longer, and clients time out instead."""
GRAMMAR = "a duration such as 250ms or 1.5s, a range such as 100-400ms or 0.5-2s, or 0 (off)"
_AMOUNT = r"(\d+(?:\.\d+)?)"
_SYNTAX = re.compile(rf"{_AMOUNT}(ms|s)?(?:-{_AMOUNT}(ms|s))?")


def parse(text: str) -> tuple[int, int]:
    """`250ms` -> (250, 250), `100-400ms` -> (100, 400), `0.1s-2s` -> (100, 2000), `0` -> (0, 0).

    A unit is required (`250` could be either); in a range the last one also serves the first number."""
    match = _SYNTAX.fullmatch(text.replace(" ", "").lower())
    if not match:
        raise ValueError(f"latency {text!r} is not {GRAMMAR}")
    low, low_unit, high, high_unit = match.groups()
    if high is None and low_unit is None and float(low) != 0:
        raise ValueError(f"latency {text!r} needs a unit: {low}ms or {low}s")
    high, high_unit = (low, low_unit) if high is None else (high, high_unit)
    bounds = (_ms(low, low_unit or high_unit), _ms(high, high_unit))
    check(*bounds)
    return bounds


def check(min_ms: int, max_ms: int) -> None:
    """ValueError unless 0 <= min_ms <= max_ms <= MAX_MS."""
    if min_ms < 0 or max_ms > MAX_MS:
        raise ValueError(f"latency must be between 0 and {MAX_MS} ms, not {min_ms}-{max_ms} ms")
    if min_ms > max_ms:
        raise ValueError(f"latency range {min_ms}-{max_ms} ms runs backwards: give the smaller number first")


def _ms(amount: str, unit: str | None) -> int:
    return round(float(amount) * (1000 if unit == "s" else 1))


def describe(min_ms: int, max_ms: int) -> str:
    return "off" if max_ms == 0 else f"{min_ms}ms" if min_ms == max_ms else f"{min_ms}-{max_ms}ms"


class Latency:
    """The current range, one tuple swapped whole: requests read it while the admin API changes it."""

    def __init__(self, start: tuple[int, int] = (0, 0)):
        check(*start)
        self.start = start
        self._range = start

    @property
    def range(self) -> tuple[int, int]:
        return self._range

    def set(self, min_ms: int, max_ms: int) -> None:
        check(min_ms, max_ms)
        self._range = (min_ms, max_ms)

    def reset(self) -> None:
        self._range = self.start

    def seconds(self) -> float:
        """How long the next vendor answer waits: 0 when off."""
        low, high = self.range
        if high == 0:
            return 0.0
        return (low if low == high else random.uniform(low, high)) / 1000

    def to_json(self) -> dict:
        low, high = self.range
        return {"min_ms": low, "max_ms": high, "enabled": high > 0, "description": describe(low, high)}


class RedisLatency(Latency):
    """The latency of the shared store (`serve --store`): one value in Redis, so a change through any worker holds
    for every worker; what `serve --latency` gave is the start value of each, and a reset goes back to it."""

    def __init__(self, link, start: tuple[int, int] = (0, 0)):
        super().__init__(start)
        self._redis, self._key = link.redis, link.key("latency")

    @property
    def range(self) -> tuple[int, int]:
        raw = self._redis.get(self._key)
        if raw is None:
            return self.start
        low, high = raw.split(b",")
        return int(low), int(high)

    def set(self, min_ms: int, max_ms: int) -> None:
        check(min_ms, max_ms)
        self._redis.set(self._key, f"{min_ms},{max_ms}")

    def reset(self) -> None:
        self._redis.delete(self._key)
