"""The one source of time: every timestamp, expiry and task step reads it, so tests can steer it.

`Clock` keeps its state in the process; `RedisClock` keeps it in the shared store, so that freezing or advancing
it in one worker moves the time every worker reads.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mockserver.core.shared import RedisLink


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


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)

# KEYS: the clock hash. ARGV: this host's real time (µs since the epoch). Already frozen: stays where it is, as
# `Clock.freeze()` does; otherwise frozen at real time plus the shared offset. HINCRBY, not Lua arithmetic: Lua's
# numbers are doubles and print large ones in exponent form.
_FREEZE_NOW = """
if redis.call('HSETNX', KEYS[1], 'frozen', ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'frozen', redis.call('HGET', KEYS[1], 'offset') or 0)
end
"""

# KEYS: the clock hash. ARGV: µs to add to the frozen instant if there is one, else to the offset.
_ADVANCE = """
local field = redis.call('HEXISTS', KEYS[1], 'frozen') == 1 and 'frozen' or 'offset'
redis.call('HINCRBY', KEYS[1], field, ARGV[1])
"""


class RedisClock:
    """`Clock` shared by every worker on one Redis: a hash at `link.key("clock")` holds the frozen instant and
    the offset, as whole microseconds (a timedelta's resolution, so nothing drifts), and each host adds its own
    real time. `now()` is one HMGET; freezing at "now" and advancing are scripts, so concurrent changes all count."""

    def __init__(self, link: RedisLink):
        self._link = link
        self._key = link.key("clock")
        self._freeze_now = link.redis.register_script(_FREEZE_NOW)
        self._advance = link.redis.register_script(_ADVANCE)

    @property
    def frozen(self) -> bool:
        return bool(self._link.redis.hexists(self._key, "frozen"))

    def now(self) -> datetime:
        frozen, offset = self._link.redis.hmget(self._key, "frozen", "offset")
        if frozen is not None:
            return EPOCH + int(frozen) * MICROSECOND
        return datetime.now(UTC) + int(offset or 0) * MICROSECOND

    def freeze(self, at: datetime | None = None) -> None:
        if at is None:
            self._freeze_now(keys=[self._key], args=[micros(datetime.now(UTC))])
        else:
            self._link.redis.hset(self._key, "frozen", micros(at))

    def advance(self, seconds: float) -> None:
        self._advance(keys=[self._key], args=[timedelta(seconds=seconds) // MICROSECOND])

    def unfreeze(self) -> None:
        self._link.redis.delete(self._key)


def micros(moment: datetime) -> int:
    """Microseconds since the epoch: exact, as Redis keeps a time (an integer, or a sorted set's score, which holds
    it exactly until the year 2255)."""
    return (moment.astimezone(UTC) - EPOCH) // MICROSECOND


def iso(moment: datetime) -> str:
    """`2024-01-15T10:30:00Z`: the timestamp format of the Haidy docs (UTC, whole seconds)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")  # %Y does not pad year 1


def iso_millis(moment: datetime) -> str:
    """`2024-01-15T10:30:00.123Z`: UTC with milliseconds, for logs and Rails-style APIs."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")  # %Y does not pad year 1
