"""Tenancy: which tenant a credential acts for, and what a new tenant starts with."""

from __future__ import annotations

import threading

from mockserver.config import Config


class TenantDirectory:
    """Maps tokens to tenants. Configured tenants first; in open mode, any other token is its own."""

    def __init__(self, config: Config):
        self.open = config.auth == "open"
        self._lock = threading.Lock()
        self._settings: dict[str, dict] = {}
        self._tokens: dict[str, str] = {}
        for name, spec in config.tenants().items():
            self.add(name, spec)

    def add(self, name: str, spec: dict) -> None:
        """Register (or extend) a tenant: its tokens and per-family settings."""
        with self._lock:
            for token in spec.get("tokens", []):
                self._tokens[token] = name
            entry = self._settings.setdefault(name, {})
            entry.update({k: v for k, v in spec.items() if k != "tokens"})

    def resolve(self, token: str) -> str | None:
        tenant = self._tokens.get(token)
        if tenant is None and self.open:
            tenant = token
        return tenant

    def known(self, tenant: str) -> bool:
        return self.open or tenant in self._settings

    def settings(self, tenant: str, family: str) -> dict:
        return dict(self._settings.get(tenant, {}).get(family, {}))
