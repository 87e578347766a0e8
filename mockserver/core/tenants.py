"""Tenancy: which tenant a credential acts for, and what a new tenant starts with."""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING

from mockserver.core.config import Config

if TYPE_CHECKING:
    from mockserver.core.shared import RedisLink


class TenantDirectory:
    """Maps tokens to tenants. Configured tenants first; in open mode, any other token is its own."""

    def __init__(self, config: Config, configured: dict[str, dict], shared: dict[str, str] | None = None):
        """`configured`: the tenants file's tenants, which a reset keeps."""
        self.open = config.auth == "open"
        self._shared = shared or {}
        """family -> the one tenant holding all of that family's data (Esteem's world), whoever provisions it."""
        self._configured = configured
        self._lock = threading.Lock()
        self._hold_configured()

    @property
    def configured(self) -> dict[str, dict]:
        """The tenants file's tenants, as written there (what a reset keeps)."""
        return self._configured

    def reset(self) -> None:
        """Forget tenants added at run time; keep the ones from the config file."""
        self._hold_configured()

    def _hold_configured(self) -> None:
        with self._lock:
            self._settings: dict[str, dict] = {}
            self._tokens: dict[str, str] = {}
        for name, spec in self._configured.items():
            self._hold(name, spec)

    def add(self, name: str, spec: dict) -> None:
        """Register (or extend) a tenant: its tokens and per-family settings."""
        self._hold(name, spec)

    def _hold(self, name: str, spec: dict) -> None:
        """Keep `spec` in this process: its tokens, and its settings merged into those of its home (`home`)."""
        with self._lock:
            for token in spec.get("tokens", []):
                self._tokens[token] = name
            for family, settings in spec.items():
                if family != "tokens":
                    merge_settings(self._settings.setdefault(self.home(family, name), {}).setdefault(family, {}),
                                   settings)

    def resolve(self, token: str) -> str | None:
        tenant = self._tokens.get(token)
        if tenant is None and self.open:
            tenant = token
        return tenant

    def owner(self, family: str, setting: str, value: str) -> str | None:
        """The tenant whose `family` settings list `value` under `setting` (e.g. a Heidi API key)."""
        with self._lock:
            return next((name for name, families in self._settings.items()
                         if value in families.get(family, {}).get(setting, [])), None)

    def home(self, family: str, tenant: str) -> str:
        """The tenant whose `family` backend holds `tenant`'s data: itself, or the family's shared tenant."""
        return self._shared.get(family, tenant)

    def settings(self, tenant: str, family: str) -> dict:
        return dict(self._settings.get(tenant, {}).get(family, {}))


def merge_settings(known: dict[str, list], added: dict[str, list]) -> None:
    """Add `added`'s values to `known`'s lists, each value once, in the order given. Values may be objects (Esteem's
    users), so no sets."""
    for key, values in added.items():
        kept = known.setdefault(key, [])
        kept += [v for v in values if v not in kept]


class RedisTenantDirectory(TenantDirectory):
    """`TenantDirectory` shared by every worker on one Redis: what `add` adds at run time is kept there, so a tenant
    provisioned through one worker acts on all of them, and a reset through any drops it for all.

    The configured tenants are the same in every process and held in each, as `TenantDirectory` holds them: their
    tokens resolve with no Redis call, and a reset, which keeps them, does not touch them. A configured token stays
    its configured tenant's (an `add` cannot move it: that would cost every request a Redis call).

    Keys under `P:tenants:`: `tokens` (token -> tenant), `settings` (home tenant -> JSON of its families' settings
    added at run time, merged) and `owners` (JSON [family, setting, value] -> the home tenant first given it).
    """

    def __init__(self, link: RedisLink, config: Config, configured: dict[str, dict],
                 shared: dict[str, str] | None = None):
        self._redis = link.redis
        self._tokens_key = link.key("tenants", "tokens")
        self._settings_key = link.key("tenants", "settings")
        self._owners_key = link.key("tenants", "owners")
        super().__init__(config, configured, shared)

    def reset(self) -> None:
        """Drop the run-time tenants, for every worker."""
        self._redis.unlink(self._tokens_key, self._settings_key, self._owners_key)

    def add(self, name: str, spec: dict) -> None:
        """Kept in Redis in one transaction, the settings merged as `TenantDirectory.add` merges them (retried if
        another worker changed them meanwhile)."""
        added: dict[str, dict] = {}
        for family, settings in spec.items():
            if family != "tokens":
                merge_settings(added.setdefault(self.home(family, name), {}).setdefault(family, {}), settings)
        homes = list(added)

        def write(pipe) -> None:
            stored = dict(zip(homes, pipe.hmget(self._settings_key, homes), strict=True)) if homes else {}
            pipe.multi()
            for home, families in added.items():
                merged = json.loads(stored[home] or "{}")
                for family, settings in families.items():
                    merge_settings(merged.setdefault(family, {}), settings)
                    for setting, values in settings.items():
                        for value in values:
                            pipe.hsetnx(self._owners_key, _owner_field(family, setting, value), home)
                pipe.hset(self._settings_key, home, json.dumps(merged))
            if spec.get("tokens"):
                pipe.hset(self._tokens_key, mapping=dict.fromkeys(spec["tokens"], name))

        self._redis.transaction(write, self._settings_key)

    def resolve(self, token: str) -> str | None:
        """A configured token with no Redis call; any other with one HGET."""
        tenant = self._tokens.get(token)
        if tenant is not None:
            return tenant
        found = self._redis.hget(self._tokens_key, token)
        if found is not None:
            return found.decode()
        return token if self.open else None

    def owner(self, family: str, setting: str, value: str) -> str | None:
        """A configured tenant's value with no Redis call; any other with one HGET."""
        configured = super().owner(family, setting, value)
        if configured is not None:
            return configured
        found = self._redis.hget(self._owners_key, _owner_field(family, setting, value))
        return found.decode() if found is not None else None

    def settings(self, tenant: str, family: str) -> dict:
        """The configured settings, then what was added at run time."""
        merged = {key: list(values) for key, values in super().settings(tenant, family).items()}
        stored = self._redis.hget(self._settings_key, tenant)
        if stored is not None:
            merge_settings(merged, json.loads(stored).get(family, {}))
        return merged


def _owner_field(family: str, setting: str, value) -> str:
    """One field of the owners index; a value that is an object is written the same whatever its keys' order."""
    return json.dumps([family, setting, value], sort_keys=True, separators=(",", ":"))
