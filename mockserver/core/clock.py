"""The one source of time: every timestamp, expiry and task step reads it, so tests can steer it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock time, optionally frozen at an instant and/or shifted by an offset."""

    def __init__(self):
        self._lock = threading.Lock()
        self._frozen: datetime | None = None
        self._offset = timedelta()

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def now(self) -> datetime:
        frozen = self._frozen
        return frozen if frozen is not None else datetime.now(UTC) + self._offset

    def freeze(self, at: datetime | None = None) -> None:
        with self._lock:
            self._frozen = (at or self.now()).astimezone(UTC)

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += timedelta(seconds=seconds)
            else:
                self._offset += timedelta(seconds=seconds)

    def unfreeze(self) -> None:
        with self._lock:
            self._frozen, self._offset = None, timedelta()


def iso(moment: datetime) -> str:
    """`2024-01-15T10:30:00Z`: the timestamp format of the Haidy docs (UTC, whole seconds)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")  # %Y does not pad year 1


def iso_millis(moment: datetime) -> str:
    """`2024-01-15T10:30:00.123Z`: UTC with milliseconds, for logs and Rails-style APIs."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")  # %Y does not pad year 1
