"""The link to a shared store: one Redis, named by a URL, with every key under one prefix.

`serve --store redis://HOST:PORT/DB?prefix=team-a` gives every part of the runtime that holds state (the
families' objects, tasks, the journal, fault rules, the clock, tenants) the same `RedisLink`; several worker
processes and hosts given the same URL serve one world. Two mocks with different prefixes share a Redis without
seeing each other's keys.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from mockserver.core.errors import StoreUnavailable

DEFAULT_PREFIX = "mockserver"
SOCKET_TIMEOUT = 2.0
"""Seconds a Redis call may take before the request answers 503: long enough for a busy Redis, short enough that a
client sees the outage rather than a hang."""


@dataclass
class RedisLink:
    url: str
    """As given, `?prefix=` included."""
    prefix: str = DEFAULT_PREFIX
    client: object = field(default=None, repr=False)
    """A `redis.Redis` (its own connection pool, thread-safe), made on first use in the process that uses it."""

    @classmethod
    def parse(cls, url: str) -> RedisLink:
        """`redis://[:password@]host[:port][/db][?prefix=name]`; a ValueError for anything else."""
        if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
            raise ValueError(f"a store is redis://HOST:PORT/DB[?prefix=NAME], not {url!r}")
        prefix = _prefix_of(url)[1]
        if not prefix or ":" in prefix or "*" in prefix:
            raise ValueError(f"a store prefix is a non-empty name without ':' or '*', not {prefix!r}")
        return cls(url, prefix)

    @property
    def redis_url(self) -> str:
        """The URL without our own `prefix` parameter, for the client."""
        return _prefix_of(self.url)[0]

    @property
    def redis(self):
        if self.client is None:
            import redis

            self.client = redis.Redis.from_url(self.redis_url, socket_timeout=SOCKET_TIMEOUT,
                                               socket_connect_timeout=SOCKET_TIMEOUT, health_check_interval=10)
        return self.client

    def wipe(self) -> None:
        """Delete every key under the prefix: a mock that was only for one test leaves nothing behind."""
        doomed = list(self.redis.scan_iter(self.pattern(), count=1000))
        for start in range(0, len(doomed), 1000):
            self.redis.unlink(*doomed[start:start + 1000])

    def key(self, *parts: str) -> str:
        """`prefix:part:part`: every key of this mock."""
        return ":".join((self.prefix, *parts))

    def pattern(self, *parts: str) -> str:
        """The glob (for KEYS and SCAN) of every key under `key(*parts)`; the prefix's own glob characters (a `?`,
        a `[`) match only themselves, so another mock's keys never match."""
        return re.sub(r"([\\*?\[\]])", r"\\\1", self.key(*parts)) + ":*"

    def reachable(self) -> bool:
        try:
            return bool(self.redis.ping())
        except UNAVAILABLE:
            return False

    def where(self) -> str:
        """The URL as shown in health and the banner: no password."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit(parts._replace(netloc=netloc))


def _unavailable_errors() -> tuple[type[BaseException], ...]:
    from redis.exceptions import BusyLoadingError, ConnectionError, TimeoutError

    return (ConnectionError, TimeoutError, BusyLoadingError)


UNAVAILABLE = _unavailable_errors()
"""What a Redis call raises when Redis is down, unreachable, too slow or still loading: the request answers 503."""


def unavailable(exc: BaseException) -> StoreUnavailable:
    return StoreUnavailable(f"The mock's shared store (Redis) is unavailable: {exc}. Nothing was changed; "
                            "try again when it is back.")


def with_fresh_prefix(url: str) -> str:
    """`url` with a prefix no other mock uses (the given prefix, or the default, and a random suffix): a world of its
    own on the same Redis, for a test that needs a mock of its own."""
    without, prefix = _prefix_of(url)
    parts = urlsplit(without)
    query = urlencode([*parse_qs(parts.query).items(), ("prefix", f"{prefix}-{secrets.token_hex(6)}")], doseq=True)
    return urlunsplit(parts._replace(query=query))


def _prefix_of(url: str) -> tuple[str, str]:
    """The URL without its `prefix` parameter, and the prefix (the default if none)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    prefix = query.pop("prefix", [DEFAULT_PREFIX])[-1]
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True))), prefix


UNLINK_MATCHING = """
local function unlink_matching(pattern)
  local doomed = redis.call('KEYS', pattern)
  for i = 1, #doomed, 500 do
    redis.call('UNLINK', unpack(doomed, i, math.min(i + 499, #doomed)))
  end
  return #doomed
end
"""
"""A Lua function for the scripts that replace a whole part of the world at once (an import, a reset): every key
matching a pattern (`RedisLink.pattern`) gone, in the script's one atomic step."""
