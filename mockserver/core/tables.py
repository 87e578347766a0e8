"""Where a backend keeps its collections: tables, each a mapping of id -> record.

A family's domain model asks `tables.table(name, codec)` for each collection it holds and then uses it as a dict
(get, set, delete, iterate in insertion order). In memory (the default) a table is a plain dict, so the model runs
at dict speed. On the shared store (`core/redis_store.py`) a table is a Redis hash read one record at a time: a get
or a create costs the same in a tenant of ten objects or of a hundred thousand, and only what a request touched is
written back. The codec turns a record into JSON and back; the same codec writes the state export.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from mockserver.core.store import record_fields


@dataclass(frozen=True)
class Codec:
    """A record <-> the JSON value stored for it (and exported for it)."""

    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]
    key: Callable[[str], Any] = str
    """The table's id type from its text form (Redis field names are text): `int` for integer ids."""


PLAIN = Codec(lambda value: value, lambda value: value)
"""For tables of JSON values (strings, numbers, lists, dicts of them)."""


def records(kind: type, key: Callable[[str], Any] = str,
            **fields: tuple[Callable[[Any], Any], Callable[[Any], Any]]) -> Codec:
    """A codec for a dataclass record: every field as `record_fields` gives it, except those named in `fields`,
    each with its own (encode, decode) pair (timestamps, dates, bytes, sets). `key`: the table's id type."""

    def encode(record: Any) -> dict:
        out = record_fields(record)
        for name, (to_json, _) in fields.items():
            out[name] = to_json(out[name])
        return out

    def decode(raw: dict) -> Any:
        return kind(**{**raw, **{name: from_json(raw[name]) for name, (_, from_json) in fields.items()}})

    return Codec(encode, decode, key)


class Tables:
    """Tables in memory: each a plain dict. The tables made are kept by name, so the store can copy a backend
    restored in memory (an import) into Redis table by table."""

    def __init__(self):
        self.made: dict[str, tuple[MutableMapping, Codec]] = {}

    def table(self, name: str, codec: Codec = PLAIN) -> MutableMapping:
        found = self.made.get(name)
        if found is None:
            found = self.made[name] = (self._new(name, codec), codec)
        return found[0]

    def _new(self, name: str, codec: Codec) -> MutableMapping:
        """A new, empty table: a dict here; the shared store's tables read Redis."""
        return {}
