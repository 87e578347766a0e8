"""Random IDs in the vendors' style: lowercase letters and digits."""

from __future__ import annotations

import os
from collections.abc import Callable

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


Entropy = Callable[[int], bytes]
"""A source of n random bytes: `os.urandom`, or a seeded one (`random.Random(seed).randbytes`) where
data must come out the same every time (the synthetic data sets)."""


def random_id(length: int = 12, prefix: str = "", entropy: Entropy = os.urandom) -> str:
    """`prefix` + `length` random base-36 characters, from one read of `entropy`
    (a `secrets.choice` per character cost ~100 us per ID on the request path)."""
    number = int.from_bytes(entropy(length), "big")
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 36)
        chars.append(_ALPHABET[digit])
    return prefix + "".join(chars)
