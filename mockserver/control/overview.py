"""What a person needs to start using this server: per family, the header to sign in with and the credentials
that work, from the tenants file and from the data the server started with. The start-up banner prints it."""

from __future__ import annotations

import json


def credentials(runtime) -> dict[str, dict]:
    """Per family: `header` (with `{token}`), `configured` (the tenants file's credentials: strict auth takes only
    these) and `data` (those that reach the start data in open auth, where a token is its own tenant)."""
    start = json.loads(runtime.start_state)["tenants"] if runtime.start_state else {}
    out = {}
    for family in runtime.families:
        configured = [c for spec in runtime.tenants.configured.values() for c in family.configured_credentials(spec)]
        data = [c for tenant, held in start.items() if family.name in held
                for c in family.state_credentials(tenant, held[family.name])]
        out[family.name] = {"header": family.sign_in, "configured": list(dict.fromkeys(configured)),
                            "data": list(dict.fromkeys(data))}
    return out
