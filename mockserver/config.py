"""Runtime configuration, from the CLI, the pytest plugin or Python."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

MB = 1024 * 1024


@dataclass
class Config:
    auth: str = "open"
    """`open`: any non-empty token is its own tenant. `strict`: only tokens from `tenants_file`."""
    tenants_file: str | None = None
    """JSON file: {"tenants": {name: {"tokens": [...], "haidy": {"patient_groups": [...], "integrations": [...]}}}}."""
    max_body_bytes: int = 50 * MB
    max_file_bytes: int = 20 * MB
    cors_origins: list[str] = field(default_factory=lambda: ["*"])
    validate_responses: bool = False
    """Check every JSON response against its declared schema; a mismatch is a 500 (a mock bug)."""
    access_log: bool = False
    journal_size: int = 1000
    """How many requests the journal keeps (oldest dropped first)."""

    def __post_init__(self):
        if self.auth not in ("open", "strict"):
            raise ValueError(f"auth must be 'open' or 'strict', not {self.auth!r}")
        if self.auth == "strict" and not self.tenants_file:
            raise ValueError("auth 'strict' needs a tenants file (--config FILE)")

    def tenants(self) -> dict[str, dict]:
        if not self.tenants_file:
            return {}
        data = json.loads(Path(self.tenants_file).read_text(encoding="utf-8"))
        return data.get("tenants", {})

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "Config":
        return cls(**json.loads(text))
