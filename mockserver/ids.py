"""Random IDs in the vendors' style: lowercase letters and digits."""

from __future__ import annotations

import os

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def random_id(length: int = 12, prefix: str = "") -> str:
    """`prefix` + `length` random base-36 characters, from one read of the OS's random source
    (a `secrets.choice` per character cost ~100 us per ID on the request path)."""
    number = int.from_bytes(os.urandom(length))
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 36)
        chars.append(_ALPHABET[digit])
    return prefix + "".join(chars)
