"""State: one backend object per (tenant, family), in memory, behind a small interface.

A backend is the family's domain model for one tenant (moto's per-account backend). The store
creates it on first use from the family's factory and the tenant's settings, serialises access
to it with a lock, and can drop, export and import everything. A shared backend (Redis) would
implement the same four methods by loading and saving `to_state()` under a distributed lock.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, Protocol, TypeVar

from mockserver.core import gate

T = TypeVar("T")


class Backend(Protocol):
    """A family's domain model for one tenant (or, for a family with a shared tenant, for everyone)."""

    def to_state(self) -> dict: ...


Factory = Callable[[dict], Backend]
"""Builds a fresh backend from a tenant's settings for its family."""

Restorer = Callable[[dict], Backend]
"""Rebuilds a backend from what `to_state()` exported."""


class MemoryStore:
    """Thread-safe in-memory store; `reset()` is a dictionary swap, so it takes microseconds."""

    def __init__(self, settings: Callable[[str, str], dict]):
        self._settings = settings
        self._families: dict[str, tuple[Factory, Restorer]] = {}
        self._lock = threading.Lock()
        self._backends: dict[tuple[str, str], tuple[threading.Lock, Backend]] = {}
        self._epoch = secrets.token_hex(4)
        self._changes = itertools.count(1)
        self._generation = 0

    kind = "memory"

    def register(self, family: str, factory: Factory, restorer: Restorer, opener: object = None) -> None:
        """`opener` (a family's backend over existing tables) is for the shared store; memory keeps backends."""
        self._families[family] = (factory, restorer)

    def families(self) -> list[str]:
        return list(self._families)

    @property
    def version(self) -> str:
        """Changes whenever the state may have changed: a cheap ETag for an export (a reader that holds the export
        of this version needs no other). Read before exporting: a change during the export gives a newer version."""
        return f"{self._epoch}-{self._generation}"

    def _changed(self) -> None:
        self._generation = next(self._changes)  # atomic under the GIL; a later value always wins

    @contextmanager
    def session(self, family: str, tenant: str, *, writes: bool = True) -> Iterator[Backend]:
        """The tenant's backend for `family`, held under its lock for the `with` block. A session that may change
        it (`writes`, the safe default) changes the `version`, inside the lock: an export that read the version
        before waits for the lock and so holds the change."""
        lock, backend = self._slot(family, tenant)
        gate.acquire(lock)  # a task, a snapshot or an export may hold it: other requests run meanwhile
        try:
            if writes:
                self._changed()
            yield backend
        finally:
            lock.release()

    def scan(self, family: str, visit: Callable[[str, Backend], T]) -> list[T]:
        """`visit(tenant, backend)` for every existing backend of `family`, each under its lock."""
        with self._lock:
            slots = [(t, slot) for (f, t), slot in self._backends.items() if f == family]
        results = []
        for tenant, (lock, backend) in slots:
            with lock:
                results.append(visit(tenant, backend))
        return results

    def reset(self) -> None:
        with self._lock:
            self._backends = {}
            self._changed()

    def export(self) -> dict:
        with self._lock:
            slots = dict(self._backends)
        tenants: dict[str, dict] = {}
        for (family, tenant), (lock, backend) in sorted(slots.items()):
            with lock:
                tenants.setdefault(tenant, {})[family] = backend.to_state()
        return {"tenants": tenants}

    def load(self, state: dict) -> None:
        """Replace everything with an export (its schema, mock/state, checked already); what a family's
        restorer refuses, or an unknown family, is a ValueError saying where, and nothing is half-loaded."""
        fresh = {(family, tenant): (threading.Lock(), backend)
                 for tenant, family, backend in restored(state, {f: r for f, (_, r) in self._families.items()})}
        with self._lock:
            self._backends = fresh
            self._changed()

    def start(self, state: dict | None) -> None:
        """Load the state the server starts from (in memory, every start is a first start)."""
        if state is not None:
            self.load(state)

    def _slot(self, family: str, tenant: str):
        key = (family, tenant)
        slot = self._backends.get(key)
        if slot is None:
            with self._lock:
                slot = self._backends.get(key)
                if slot is None:
                    factory = self._families[family][0]
                    slot = self._backends[key] = (threading.Lock(), factory(self._settings(tenant, family)))
                    self._changed()  # a new tenant shows in the export
        return slot


def restored(state: dict, restorers: dict[str, Restorer]) -> list[tuple[str, str, Backend]]:
    """(tenant, family, backend) for each backend of a state export, every one restored before any store uses one:
    what a family's restorer refuses, or an unknown family, is a ValueError saying where."""
    out = []
    for tenant, families in state.get("tenants", {}).items():
        for family, data in families.items():
            if family not in restorers:
                raise ValueError(f"unknown family {family!r} in state of tenant {tenant!r}")
            try:
                out.append((tenant, family, restorers[family](data)))
            except ValueError as exc:
                raise ValueError(f"tenants -> {tenant} -> {family}: {exc}") from None
    return out


def unique(items: Iterable[T], key: Callable[[T], Hashable], what: str) -> dict[Hashable, T]:
    """`items` by `key` for a restorer; a repeated key is a ValueError, as in a dict the later item would
    silently replace the earlier."""
    out: dict[Hashable, T] = {}
    for item in items:
        k = key(item)
        if k in out:
            raise ValueError(f"{what} {k!r} appears twice")
        out[k] = item
    return out


_SCALARS = (str, int, float, bool, type(None), date)  # datetime is a date


def record_fields(record: Any) -> dict:
    """A dataclass record's fields as a dict for `to_state()`, as `dataclasses.asdict` gives them for the flat
    records backends keep, and about ten times faster: an export reads every record under its tenant's lock, which
    every request of that tenant waits for. Scalars as they are; containers copied all the way down."""
    return {name: value if isinstance(value, _SCALARS) else _copied(value) for name, value in vars(record).items()}


def _copied(value: Any) -> Any:
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, list):
        return [_copied(item) for item in value]
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    return copy.deepcopy(value)
