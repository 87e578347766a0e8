"""The format checker every schema is validated with: jsonschema's, with `email` read as the JSON Schema spec
reads it (RFC 5321's mailbox).

jsonschema's own `email` check asks only for an "@", so the mock accepted addresses that schemathesis (and any
validator built on jsonschema-rs, as its negative tests are) calls invalid, such as one holding a control
character: a contract run then reported that the mock accepts invalid input. The check is jsonschema-rs's,
a maintained library, so the mock and those validators agree by construction.
"""

from __future__ import annotations

import copy

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker

_EMAIL = jsonschema_rs.validator_for({"format": "email"}, validate_formats=True)


def _email(instance: object) -> bool:
    """jsonschema-rs's check, with the domain lower-cased first: a domain is case-insensitive, but it refuses
    an upper-case IDN label (`a@b.XN--P1AI`, which `a@b.xn--p1ai` passes), as hypothesis's `emails()` writes them."""
    if not isinstance(instance, str):
        return True
    local, at, domain = instance.rpartition("@")
    return _EMAIL.is_valid(f"{local}{at}{domain.lower()}" if at else instance)


def _checker() -> FormatChecker:
    checker = copy.deepcopy(Draft202012Validator.FORMAT_CHECKER)
    checker.checks("email")(_email)
    return checker


FORMAT_CHECKER = _checker()
