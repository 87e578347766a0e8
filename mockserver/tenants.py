"""Tenancy: which tenant a credential acts for, and what a new tenant starts with."""

from __future__ import annotations

import threading

from mockserver.config import Config


class TenantDirectory:
    """Maps tokens to tenants. Configured tenants first; in open mode, any other token is its own."""

    def __init__(self, config: Config):
        self.open = config.auth == "open"
        self._configured = config.tenants()
        self._lock = threading.Lock()
        self.reset()

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
            families = self._settings.setdefault(name, {})
            for family, settings in spec.items():
                if family != "tokens":
                    merged = families.setdefault(family, {})
                    for key, values in settings.items():
                        merged[key] = sorted(set(merged.get(key, [])) | set(values))

    def resolve(self, token: str) -> str | None:
        tenant = self._tokens.get(token)
        if tenant is None and self.open:
            tenant = token
        return tenant

    def settings(self, tenant: str, family: str) -> dict:
        return dict(self._settings.get(tenant, {}).get(family, {}))
