"""The registry of vendor families: the one place a family is added.

Everything that differs per family is built from this list: the app's routes and OpenAPI
documents, the admin API's family operations, the state and tenants-file schemas, the CLI's
`--family` choices, the contract command's credentials and the plugin's sessions. Read it at call
time (`registry.FAMILIES`), never copy it at import, so a family added here is seen everywhere.
"""

from __future__ import annotations

from mockserver import esteem, haidy, heidi
from mockserver.core.family import Family, schemas_for
from mockserver.core.schemas import SchemaRegistry

FAMILIES: list[Family] = [
    haidy.FAMILY,
    heidi.FAMILY,
    esteem.FAMILY,
]


def family(name: str) -> Family:
    """The registered family called `name`; KeyError if there is none."""
    for candidate in FAMILIES:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no family {name!r}; registered: {', '.join(names())}")


def names() -> list[str]:
    return [f.name for f in FAMILIES]


def schemas() -> SchemaRegistry:
    """Every schema an app of the registered families knows: the shipped files, the families' own and the
    admin schemas built from them (`mock/state`, `mock/tenant`, `mock/tenants-file`)."""
    return schemas_for(tuple(FAMILIES))
