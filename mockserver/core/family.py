"""What a vendor family is to the framework: the one object its folder exports as `FAMILY`.

The app, the CLI, the contract command, the plugin and the state and tenant schemas are all
built from the registry of these (`mockserver.registry`), so adding a family is its folder plus
one line there. By convention a family's state export and tenant settings are described by the
schemas `<name>/state` and `<name>/settings` (files under `schemas/<name>/`, or given in `schemas`).
Settings are an object of lists (patient groups, API keys, users): provisioning a tenant again
adds to each list, and the backend's `configure(settings)` is called with what was added.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from mockserver.core.clock import Clock
from mockserver.core.declaration import Api
from mockserver.core.schemas import SchemaRegistry
from mockserver.core.tables import Tables

DRAFT = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True, eq=False)
class Commons:
    """A tenant's data that more than one family reads (the transcript registry): stored like a family's backend,
    per tenant under its own name, exported beside the families' (state schema `<name>/state`), with test set-up
    under /_mock/ but no vendor API. A family names the commons it reads (`Family.commons`)."""

    name: str
    new_backend: Callable[[Clock], Any]
    restore_backend: Callable[[Clock, dict], Any]
    open_backend: Callable[[Clock, Tables], Any]
    admin: Api | None = None

    @property
    def state_schema(self) -> str:
        return f"{self.name}/state"


def commons_of(families: tuple[Family, ...]) -> tuple[Commons, ...]:
    """Every commons the families read, each once, in the order first named."""
    return tuple({id(c): c for family in families for c in family.commons}.values())


@dataclass(frozen=True, eq=False)
class Family:
    api: Api
    """The vendor API as documented: its operations, auth scheme, error style, mounts and real hosts."""
    new_backend: Callable[[Clock, dict], Any]
    """A fresh backend (the family's domain model for one tenant) from that tenant's settings."""
    restore_backend: Callable[[Clock, dict], Any]
    """A backend rebuilt from what its `to_state()` exported (already checked against `<name>/state`); a
    ValueError for what no schema can refuse, such as an id used twice. It keeps its data in the tables of its
    `tables` attribute (`core/tables.py`) if the family runs on the shared store."""
    credentials: tuple[str, ...]
    """The header lines a client sends, with `{token}` and `{api_key}` placeholders (`mockserver contract`)."""
    open_backend: Callable[[Clock, Tables], Any] | None = None
    """The backend over tables that already hold its data (no configuring, no data of its own): how the shared store
    (`core/redis_store.py`) reaches a tenant's data record by record. None: the family runs in memory only."""
    admin: Api | None = None
    """Mock-only operations under /_mock/ (test set-up no vendor offers), in the admin API's document."""
    commons: tuple[Commons, ...] = ()
    """Data it reads that other families read too, kept per tenant once for all of them (`Commons`)."""
    shared_tenant: str | None = None
    """None: one backend per tenant. A name: one backend for everyone, held by that tenant (Esteem's world)."""
    schemas: Mapping[str, dict] = field(default_factory=dict)
    """Schemas by name that are not files under `schemas/` (a family defined in code)."""
    configured_credentials: Callable[[dict], list[str]] = lambda spec: list(spec.get("tokens", []))
    """The credentials a tenants-file entry (`tokens` and family settings) gives a client of this family: by
    default the tenant's tokens. For the start-up banner and the console, which show what to send."""
    state_credentials: Callable[[str, dict], list[str]] = lambda tenant, state: [tenant]
    """The credentials that reach a tenant's data in a state export (the tenant's name, this family's export)
    in open auth, where a token is its own tenant: by default the tenant's name."""

    @property
    def sign_in(self) -> str:
        """The header a client presents its own credential in: the API key's (`{api_key}`) for a family that
        trades one for its token (Heidi's `GET /jwt`), else the token's (`{token}`)."""
        return next((c for c in self.credentials if "{api_key}" in c), self.credentials[0])

    @property
    def name(self) -> str:
        return self.api.name

    @property
    def state_schema(self) -> str:
        return f"{self.name}/state"

    @property
    def settings_schema(self) -> str:
        return f"{self.name}/settings"


@cache
def schemas_for(families: tuple[Family, ...]) -> SchemaRegistry:
    """The shipped schemas, the families' own, and the admin schemas built from the families:
    `mock/state` (an export), `mock/tenant` (one tenant's tokens and settings), `mock/tenants-file`."""
    shipped = SchemaRegistry.default()
    own = {name: schema for family in families for name, schema in family.schemas.items()}

    def raw(name: str) -> dict:
        return own[name] if name in own else shipped.schema(name)

    names = [family.name for family in families]
    stored = names + [c.name for c in commons_of(families)]
    example = {"tokens": ["acme-token"]}
    example.update({name: raw(f"{name}/settings")["examples"][0] for name in names
                    if raw(f"{name}/settings").get("examples")})
    state = {
        "$schema": DRAFT, "title": "MockState",
        "description": "Everything the mock holds: per tenant, per family, the family's own export. "
                       "Checked whole before anything is replaced.",
        "type": "object", "required": ["tenants"],
        "properties": {"tenants": {"type": "object", "additionalProperties": {
            "type": "object", "properties": {name: {"$ref": f"../{name}/state.json"} for name in stored},
            "additionalProperties": False}}},
        "additionalProperties": False,
    }
    tenant = {
        "$schema": DRAFT, "title": "MockTenant",
        "description": "Tokens that act for a tenant and what each family provisions for it; adds to what exists.",
        "type": "object",
        "properties": {"tokens": {"type": "array", "items": {"type": "string", "minLength": 1}},
                       **{name: {"$ref": f"../{name}/settings.json"} for name in names}},
        "additionalProperties": False,
        "examples": [example],
    }
    tenants_file = {
        "$schema": DRAFT, "title": "MockTenantsFile",
        "description": "The tenants file of `--config FILE`: each tenant as POST /_mock/tenants/{tenant} takes it. "
                       "Checked whole at start-up.",
        "type": "object", "required": ["tenants"],
        "properties": {
            "tenants": {"type": "object", "additionalProperties": {"$ref": "tenant.json"}},
            "admin_tokens": {"type": "array", "items": {"type": "string", "minLength": 1},
                             "description": "With --auth strict: tokens that open the admin API (/_mock/) and the "
                                            "console, besides those of --admin-token."},
        },
        "additionalProperties": False,
        "examples": [{"tenants": {"acme": example}, "admin_tokens": ["acme-admin-token"]}],
    }
    return shipped.extended({**own, "mock/state": state, "mock/tenant": tenant, "mock/tenants-file": tenants_file})
