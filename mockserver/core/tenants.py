"""Tenancy: which tenant a credential acts for, and what a new tenant starts with."""

from __future__ import annotations

import threading

from mockserver.core.config import Config


class TenantDirectory:
    """Maps tokens to tenants. Configured tenants first; in open mode, any other token is its own."""

    def __init__(self, config: Config, configured: dict[str, dict], shared: dict[str, str] | None = None):
        """`configured`: the tenants file's tenants, which a reset keeps."""
        self.open = config.auth == "open"
        self._shared = shared or {}
        """family -> the one tenant holding all of that family's data (Esteem's world), whoever provisions it."""
        self._configured = configured
        self._lock = threading.Lock()
        self.reset()

    @property
    def configured(self) -> dict[str, dict]:
        """The tenants file's tenants, as written there (what a reset keeps)."""
        return self._configured

    def reset(self) -> None:
        """Forget tenants added at run time; keep the ones from the config file."""
        with self._lock:
            self._settings: dict[str, dict] = {}
            self._tokens: dict[str, str] = {}
        for name, spec in self._configured.items():
            self.add(name, spec)

    def add(self, name: str, spec: dict) -> None:
        """Register (or extend) a tenant: its tokens and per-family settings."""
        with self._lock:
            for token in spec.get("tokens", []):
                self._tokens[token] = name
            for family, settings in spec.items():
                if family != "tokens":
                    merged = self._settings.setdefault(self.home(family, name), {}).setdefault(family, {})
                    for key, values in settings.items():
                        known = merged.setdefault(key, [])  # items may be objects (Esteem's users): no sets
                        known += [v for v in values if v not in known]

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
