"""JSON in and out of the request path: orjson, at a tenth of the json module's cost, wherever it gives the
json module's answer, and the json module wherever it would not.

- Encoding: compact and UTF-8, as FastAPI's JSONResponse (Haidy's and Heidi's stack) sends it. What orjson would
  write differently or refuses (datetimes, dataclasses, str/int subclasses, integers beyond 64 bits, non-string
  keys) goes to the json module, which writes it or raises its own TypeError, as before.
- Decoding: a text with a run of 19 or more digits (an integer orjson would read as a float past 64 bits) or one
  orjson refuses goes to the json module, whose verdict and message (line, column, position) the error shapes
  quote; NaN and Infinity are refused either way.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
_LONG_NUMBER = re.compile(r"\d{19}")


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON."""
    try:
        return orjson.dumps(value, option=_PASSTHROUGH)
    except TypeError:  # orjson.JSONEncodeError is one
        return compact(value).encode()


def compact(value: Any) -> str:
    """The json module's compact JSON, text as it is (no `\\u` escapes): what the shared store keeps, and what
    `dumps` answers where orjson would not."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads(text: str) -> Any:
    """Strict JSON (no NaN, Infinity): a `json.JSONDecodeError` (a ValueError) for anything else."""
    if not _LONG_NUMBER.search(text):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text, parse_constant=_reject_constant)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")
