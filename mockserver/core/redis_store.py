"""The shared store: every family's tables in Redis, one record per hash field, so that several worker processes
and hosts serve one world and it survives a restart.

A session is a unit of work, as an ORM's: under the (family, tenant) lock (a Redis lock, so it holds across
processes) the backend is built over tables that read records from Redis as the model asks for them and keep the
objects it got; when the block ends, every record that changed (encoded again and compared with what was read)
and every deletion is written in one Lua script, atomically, with the store's version. An error in the block
writes nothing. A session that only reads takes no lock and writes nothing.

Keys, under the link's prefix `P`: `P:d:...` the data (`P:d:slots`, the (family, tenant) pairs that exist; per
table a hash of records, a sorted set of their order, a counter); `P:lock:...` the session locks; `P:version`;
`P:started`, set once the start state is loaded (a second worker, or a restart, does not load it again). A reset or
an import replaces every `P:d:` key in one script: no reader sees half of it.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager, suppress
from typing import Any

from mockserver.core.errors import StoreUnavailable
from mockserver.core.json_codec import compact
from mockserver.core.shared import UNLINK_MATCHING, RedisLink
from mockserver.core.store import Backend, Factory, Restorer, restored
from mockserver.core.tables import Codec, Tables

Opener = Callable[[Tables], Backend]
"""A family's backend over tables that already hold its data (no configuring, no data of its own)."""

LOCK_SECONDS = 30
"""A session lock expires after this long: a worker killed inside a session blocks its tenant no longer."""
LOCK_WAIT_SECONDS = 10
"""How long a request waits for a tenant's lock before it answers 503."""
LOCK_RETRY_SECONDS = 0.001
"""How often a waiting request tries the lock again: a session takes about a millisecond, and redis-py's default
(0.1 s) made every create that found its tenant busy wait a hundred times that."""

# ARGV: the version key, the slots key, the slot to add ('' for none), the pattern of the keys to delete first
# ('' for none), the session's lock key and token ('' for none), then ops of four: op, key, field, value. "h": HSET
# key field value, and a new field gets the next number of `key:n` as its place in `key:o` (the table's insertion
# order); "x": HDEL key field and its place; "s": SADD key field. A session whose lock is no longer its own (it
# expired) writes nothing and gets -1; else the lock is released, and the version moves if anything was written.
_APPLY = UNLINK_MATCHING + """
local version, slots, slot, wipe, lock, token = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
if lock ~= '' and redis.call('GET', lock) ~= token then return -1 end
if wipe ~= '' then unlink_matching(wipe) end
if slot ~= '' then redis.call('SADD', slots, slot) end
for i = 7, #ARGV, 4 do
  local op, key, field, value = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if op == 'h' then
    redis.call('HSET', key, field, value)
    if redis.call('ZSCORE', key .. ':o', field) == false then
      redis.call('ZADD', key .. ':o', redis.call('INCR', key .. ':n'), field)
    end
  elseif op == 'x' then
    redis.call('HDEL', key, field)
    redis.call('ZREM', key .. ':o', field)
  elseif op == 's' then
    redis.call('SADD', key, field)
  end
end
if lock ~= '' then redis.call('DEL', lock) end
if slot ~= '' or wipe ~= '' or #ARGV > 6 then return redis.call('INCR', version) end
return 0
"""

# ARGV: the lock key, its token, its lifetime in ms, the slots key, the slot. {1, whether the slot exists} once the
# lock is taken, {0} while another session holds it: one round trip for both.
_ENTER = """
if redis.call('SET', ARGV[1], ARGV[2], 'NX', 'PX', ARGV[3]) then
  return {1, redis.call('SISMEMBER', ARGV[4], ARGV[5])}
end
return {0}
"""


class RedisTable(MutableMapping):
    """One table of one session: a dict over a Redis hash. Records are read when asked for and kept (the model
    changes them in place); `changes()` lists what to write back."""

    def __init__(self, link: RedisLink, key: str, codec: Codec):
        self._redis = link.redis
        self.key = key
        self._codec = codec
        self._objects: dict[Any, Any] = {}
        self._read: dict[Any, str | None] = {}
        """key -> the JSON read for it (None: set here, not read)."""
        self._deleted: set = set()
        self._complete = False

    def _field(self, key: Any) -> str:
        return str(key)

    def __getitem__(self, key: Any) -> Any:
        if key in self._objects:
            return self._objects[key]
        if key in self._deleted or self._complete:
            raise KeyError(key)
        raw = self._redis.hget(self.key, self._field(key))
        if raw is None:
            raise KeyError(key)
        return self._keep(key, raw.decode())

    def _keep(self, key: Any, raw: str) -> Any:
        value = self._objects[key] = self._codec.decode(json.loads(raw))
        self._read[key] = raw
        return value

    def __contains__(self, key: object) -> bool:
        if key in self._objects:
            return True
        if key in self._deleted or self._complete:
            return False
        return bool(self._redis.hexists(self.key, self._field(key)))

    def __setitem__(self, key: Any, value: Any) -> None:
        self._deleted.discard(key)
        if key not in self._read:
            self._read[key] = None
        self._objects[key] = value

    def __delitem__(self, key: Any) -> None:
        if key not in self:
            raise KeyError(key)
        self._objects.pop(key, None)
        self._read.pop(key, None)
        self._deleted.add(key)

    def _load_all(self) -> None:
        if self._complete:
            return
        pipe = self._redis.pipeline(transaction=False)
        pipe.zrange(self.key + ":o", 0, -1)
        pipe.hgetall(self.key)
        order, records = pipe.execute()
        by_field = {name.decode(): raw.decode() for name, raw in records.items()}
        ordered = [name.decode() for name in order if name.decode() in by_field]
        ordered += [name for name in by_field if name not in set(ordered)]  # written without order: last
        loaded: dict[Any, Any] = {}
        for name in ordered:
            key = self._codec.key(name)
            if key in self._deleted:
                continue
            loaded[key] = self._objects[key] if key in self._objects else self._keep(key, by_field[name])
        for key, value in self._objects.items():  # set in this session, new: after the stored ones
            loaded.setdefault(key, value)
        self._objects = loaded
        self._complete = True

    def __iter__(self) -> Iterator:
        self._load_all()
        return iter(list(self._objects))

    def __len__(self) -> int:
        if self._complete:
            return len(self._objects)
        if not self._deleted and all(raw is not None for raw in self._read.values()):
            return self._redis.hlen(self.key)  # nothing new, nothing gone: Redis counts
        self._load_all()
        return len(self._objects)

    def changes(self) -> list[str]:
        """The Lua ops that write this session's changes: records that differ from what was read, deletions."""
        ops: list[str] = []
        for key, value in self._objects.items():
            raw = compact(self._codec.encode(value))
            if raw != self._read.get(key):
                ops += ["h", self.key, self._field(key), raw]
        for key in self._deleted:
            ops += ["x", self.key, self._field(key), ""]
        return ops


class RedisTables(Tables):
    """The tables of one (family, tenant) in one session."""

    def __init__(self, link: RedisLink, slot_key: str):
        super().__init__()
        self._link = link
        self._slot_key = slot_key

    def _new(self, name: str, codec: Codec) -> MutableMapping:
        return RedisTable(self._link, f"{self._slot_key}:{name}", codec)

    def changes(self) -> list[str]:
        return [op for table, _ in self.made.values() for op in table.changes()]


class RedisStore:
    """`MemoryStore`'s interface over Redis; see the module's docstring."""

    kind = "redis"

    def __init__(self, link: RedisLink, settings: Callable[[str, str], dict]):
        self.link = link
        self._settings = settings
        self._families: dict[str, tuple[Factory, Restorer, Opener]] = {}
        self._apply = link.redis.register_script(_APPLY)
        self._take = link.redis.register_script(_ENTER)

    def register(self, family: str, factory: Factory, restorer: Restorer, opener: Opener | None = None) -> None:
        if opener is None:
            raise ValueError(f"family {family!r} keeps its data in no tables (Family.open_backend): "
                             "it runs on the memory store only")
        self._families[family] = (factory, restorer, opener)

    def families(self) -> list[str]:
        return list(self._families)

    @property
    def version(self) -> str:
        return (self.link.redis.get(self.link.key("version")) or b"0").decode()

    def _slot(self, family: str, tenant: str) -> str:
        return f"{family}\t{tenant}"

    def _slot_key(self, family: str, tenant: str) -> str:
        return self.link.key("d", family, tenant)

    @contextmanager
    def session(self, family: str, tenant: str, *, writes: bool = True) -> Iterator[Backend]:
        """The tenant's backend for the `with` block. Writing: under the tenant's lock, what changed written back at
        the end (nothing if the block raised). Reading: no lock, nothing written (a tenant not yet made is made)."""
        slots = self.link.key("d", "slots")
        slot = self._slot(family, tenant)
        if not writes and self.link.redis.sismember(slots, slot):
            yield self._open(family, tenant)[1]
            return
        lock, token, exists = self._enter(family, tenant)
        released = False
        try:
            tables, backend = self._open(family, tenant)
            if not exists:
                backend.configure(self._settings(tenant, family))
            yield backend
            ops = tables.changes()
            outcome = self._apply(args=[self.link.key("version"), slots, "" if exists else slot, "", lock, token, *ops])
            released = True
            if outcome < 0:
                raise StoreUnavailable(f"The request took longer than the tenant's lock ({LOCK_SECONDS} s) and "
                                       "was not written; try again")
        finally:
            if not released:  # the block raised: nothing is written, the lock is given back
                with suppress(Exception):  # Redis went away: the lock expires by itself
                    self._apply(args=[self.link.key("version"), slots, "", "", lock, token])

    def _open(self, family: str, tenant: str) -> tuple[RedisTables, Backend]:
        tables = RedisTables(self.link, self._slot_key(family, tenant))
        return tables, self._families[family][2](tables)

    def _enter(self, family: str, tenant: str) -> tuple[str, str, bool]:
        """Take the (family, tenant) lock, held across every worker and host, which expires if its holder dies:
        its key, its token, and whether the tenant exists yet."""
        lock, token = self.link.key("lock", family, tenant), secrets.token_hex(8)
        args = [lock, token, LOCK_SECONDS * 1000, self.link.key("d", "slots"), self._slot(family, tenant)]
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            taken = self._take(args=args)
            if taken[0]:
                return lock, token, bool(taken[1])
            if time.monotonic() > deadline:
                raise StoreUnavailable(f"The tenant's data is busy (locked by another worker for over "
                                       f"{LOCK_WAIT_SECONDS} s); try again")
            time.sleep(LOCK_RETRY_SECONDS)

    def scan(self, family: str, visit: Callable[[str, Backend], Any]) -> list:
        results = []
        for tenant in self._tenants(family):
            with self.session(family, tenant, writes=False) as backend:
                results.append(visit(tenant, backend))
        return results

    def _tenants(self, family: str) -> list[str]:
        slots = sorted(member.decode() for member in self.link.redis.smembers(self.link.key("d", "slots")))
        return [slot.split("\t", 1)[1] for slot in slots if slot.split("\t", 1)[0] == family]

    def reset(self) -> None:
        self.load({"tenants": {}})

    def export(self) -> dict:
        tenants: dict[str, dict] = {}
        for family in self._families:
            for tenant in self._tenants(family):
                with self.session(family, tenant) as backend:  # under the lock: each tenant whole
                    tenants.setdefault(tenant, {})[family] = backend.to_state()
        return {"tenants": dict(sorted(tenants.items()))}

    def load(self, state: dict) -> None:
        """Replace everything with `state`, in one script: restored in memory first (so what a restorer refuses
        is a ValueError and nothing is touched), then every record written under the wiped prefix."""
        ops: list[str] = []
        slots = self.link.key("d", "slots")
        for tenant, family, backend in restored(state, {f: r for f, (_, r, _) in self._families.items()}):
            ops += ["s", slots, self._slot(family, tenant), ""]
            slot_key = self._slot_key(family, tenant)
            for name, (table, codec) in backend.tables.made.items():
                for key, value in table.items():
                    ops += ["h", f"{slot_key}:{name}", str(key), compact(codec.encode(value))]
        self._apply(args=[self.link.key("version"), slots, "", self.link.pattern("d"), "", "", *ops])
        self.link.redis.set(self.link.key("started"), "1")

    def start(self, state: dict | None) -> None:
        """Load the start state unless this prefix already holds a world (another worker, a previous run)."""
        if self.link.redis.set(self.link.key("started"), "1", nx=True) and state is not None:
            self.load(state)
