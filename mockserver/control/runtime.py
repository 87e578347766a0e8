"""The runtime: everything a request may need, one per app, and the reset that takes it back to
the start."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mockserver.control.faults import Faults
from mockserver.control.journal import Journal
from mockserver.core.auth import AdminAccess
from mockserver.core.clock import Clock
from mockserver.core.config import Config
from mockserver.core.declaration import Api
from mockserver.core.family import Family
from mockserver.core.latency import Latency
from mockserver.core.schemas import SchemaRegistry
from mockserver.core.store import MemoryStore
from mockserver.core.tasks import TaskEngine
from mockserver.core.tenants import TenantDirectory

if TYPE_CHECKING:
    from mockserver.control.faults import RedisFaults
    from mockserver.control.journal import RedisJournal
    from mockserver.core.clock import RedisClock
    from mockserver.core.redis_store import RedisStore
    from mockserver.core.shared_tasks import RedisTaskEngine


@dataclass
class Runtime:
    """`app.extensions["mockserver"]`; handlers reach it as `call.runtime`. Each stateful part is the memory one or,
    with `--store`, its Redis twin with the same interface (`app.py` picks the set)."""

    config: Config
    schemas: SchemaRegistry
    tenants: TenantDirectory
    store: MemoryStore | RedisStore
    clock: Clock | RedisClock
    families: tuple[Family, ...]
    apis: list[Api]
    """The families' APIs and the admin APIs, in the order they were mounted."""
    journal: Journal | RedisJournal
    faults: Faults | RedisFaults
    tasks: TaskEngine | RedisTaskEngine
    start_state: str | None
    """The state file's (or data set's) export as read at start-up, as JSON: a reset loads a fresh copy
    of it, and a file edited or deleted since cannot make a reset fail."""
    admin: AdminAccess = field(default_factory=lambda: AdminAccess(False, []))
    """Who may use the admin API (strict auth: admin tokens); a reset keeps it."""
    latency: Latency = field(default_factory=Latency)
    """The global latency on vendor answers; a reset returns it to the configured one."""

    def reset(self) -> None:
        """Back to how the server started: only the start state's data, the configured tenants, real time, the
        configured latency."""
        self.tenants.reset()
        self.store.load(json.loads(self.start_state) if self.start_state is not None else {"tenants": {}})
        self.journal.clear()
        self.faults.clear()
        self.tasks.reset()
        self.clock.unfreeze()
        self.latency.reset()
