"""Synthetic data sets: people with one identity across Haidy, Heidi and Esteem, and their documents.

Everything comes from a seed and a fixed date, so a data set can be committed and rebuilt byte for byte
(`mockserver fixtures -o DIR`, `dataset.build.build` and `write`), and loaded with
`mockserver serve --fixtures NAME_OR_DIR` or `@pytest.mark.mockserver(fixtures=...)`. No real patient data:
names come from Faker, charts from a small catalogue, and every document is written from them.

This module stays light (the CLI reads its defaults); the work is in the submodules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

TOKEN = "demo-token"
"""One credential for all three families: Haidy's bearer token and Heidi's API key (both name the tenant
`demo-token` in open auth), and the Esteem user who created the people's patient records."""


@dataclass(frozen=True)
class Options:
    """The defaults make the shipped `fixtures/demo`."""

    seed: int = 1
    until: date = date(2026, 11, 22)
    """The data set's "today": every record lies before 18:00 UTC on this day. Never the wall clock."""
    people: int = 6
