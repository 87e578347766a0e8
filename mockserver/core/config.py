"""Runtime configuration, from the CLI, the pytest plugin or Python."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from mockserver.core import latency
from mockserver.core.data_files import data_set_state
from mockserver.core.schemas import SchemaRegistry
from mockserver.core.validation import check_document

MB = 1024 * 1024


@dataclass
class Config:
    auth: str = "open"
    """`open`: any non-empty token is its own tenant. `strict`: only tokens from `tenants_file`."""
    tenants_file: str | None = None
    """JSON file: {"tenants": {name: {"tokens": [...], "haidy": {"patient_groups": [...], "integrations": [...]}}},
    "admin_tokens": [...]} (schema `mock/tenants-file`, built from the families in `core/family.py`)."""
    state_file: str | None = None
    """A state export (`GET /_mock/state`, `mockserver seed`) the server starts from and returns to on reset."""
    fixtures: str | None = None
    """Instead of `state_file`: a data set's name (`demo`, shipped in `fixtures/`) or a directory
    (from `mockserver fixtures`)."""
    max_body_bytes: int = 50 * MB
    max_file_bytes: int = 20 * MB
    cors_origins: list[str] = field(default_factory=lambda: ["*"])
    """Origins whose pages may call the vendor APIs (CORS); the admin API and the console have `admin_origins`."""
    admin_origins: list[str] = field(default_factory=list)
    """Origins besides the server's own whose pages may call the admin API (`/_mock/`): CORS, and state-changing
    requests, which are refused from any other site."""
    admin_tokens: list[str] = field(default_factory=list)
    """Strict auth: tokens that open the admin API (besides the tenants file's `admin_tokens`)."""
    latency: str | None = None
    """Added to every vendor answer: `250ms`, `100-400ms` (uniform random), `0.5-2s` (`core/latency.py`)."""
    validate_responses: bool = False
    """Check every JSON response against its declared schema; a mismatch is a 500 (a mock bug)."""
    access_log: bool = False
    snapshot: str | None = None
    """A file the state is written to every `snapshot_seconds` and on a clean stop, and read back on start when it
    exists (`control/snapshot.py`); a reset still returns to the start state."""
    snapshot_seconds: float = 30.0
    store: str | None = None
    """`redis://HOST:PORT/DB[?prefix=NAME]`: keep every piece of state in that Redis (`core/shared.py`), shared by
    every worker and host given the same URL and prefix, and kept across restarts. None: in this process's memory."""
    journal_size: int = 1000
    """How many requests the journal keeps (oldest dropped first)."""
    stream_piece_ms: int = 0
    """The pause between the pieces of a streamed answer (Heidi's consult note, Ask Heidi): 0 sends them at once;
    `serve` paces them as a model writes (`--stream-pace`)."""
    task_timing: str = "realtime"
    """realtime: statuses follow the clock over `task_seconds`; per-poll: one step per poll; instant."""
    task_retention: str = "once"
    """once: a task is gone after the poll that reported DONE or FAILED (as documented); keep: until the TTL."""
    task_seconds: float = 3.0
    task_ttl_seconds: float = 3600.0
    max_tasks_per_tenant: int = 1000
    allowed_url_hosts: list[str] = field(default_factory=list)
    """Hosts the structure API may download from, besides loopback and the mock's own files."""
    jwt_secret: str | None = None
    """HS256 key of Heidi's JWTs; random per start unless given, so a restarted mock refuses old tokens. On the shared
    store a random key is the store's: the first start makes it, every worker, host and restart uses it."""
    jwt_secret_random: bool = False
    """Set at start when no `jwt_secret` was given."""
    jwt_lifetime_seconds: int = 3600
    """How long a Heidi JWT from `GET /jwt` stays valid, on the mock's clock."""
    heidi_doc_examples: bool = True
    """Every new Heidi API user (tenant, `third_party_internal_id` and `email` of a JWT) starts with the docs'
    example profile and sessions, so the docs' requests run as written. False: new users start empty (a clean
    slate); users in a loaded state keep what the state holds."""

    def __post_init__(self):
        if self.auth not in ("open", "strict"):
            raise ValueError(f"auth must be 'open' or 'strict', not {self.auth!r}")
        if self.auth == "strict" and not self.tenants_file:
            raise ValueError("auth 'strict' needs a tenants file (--config FILE)")
        if self.state_file and self.fixtures:
            raise ValueError("give a state file or fixtures, not both")
        if self.fixtures:
            data_set_state(self.fixtures)  # an unknown name fails here, not at the first load
        if self.jwt_lifetime_seconds < 1:
            raise ValueError(f"the JWT lifetime must be at least 1 second, not {self.jwt_lifetime_seconds}")
        if not self.jwt_secret:
            self.jwt_secret, self.jwt_secret_random = secrets.token_urlsafe(32), True
        if self.admin_tokens and self.auth != "strict":
            raise ValueError("admin tokens need auth 'strict' (--auth strict): in open auth the admin API is open")
        if not all(isinstance(token, str) and token.strip() == token and token for token in self.admin_tokens):
            raise ValueError("an admin token must be a non-empty string without surrounding spaces")
        self.admin_origins = [_origin(origin) for origin in self.admin_origins]
        if self.latency is not None:
            latency.parse(self.latency)
        if not 0 <= self.stream_piece_ms <= 60_000:
            raise ValueError(f"the stream pace must be 0 to 60000 ms, not {self.stream_piece_ms}")
        if self.store is not None:
            from mockserver.core.shared import RedisLink

            RedisLink.parse(self.store)  # a malformed URL fails here, not at the first request
            if self.snapshot:
                raise ValueError("a snapshot file is for the memory store; Redis keeps the state itself (--store)")
        if self.snapshot_seconds < 0:
            raise ValueError(f"the snapshot interval must be 0 (on stop only) or more seconds, "
                             f"not {self.snapshot_seconds}")

    def latency_ms(self) -> tuple[int, int]:
        """The start latency's (min, max) in milliseconds; (0, 0) for none."""
        return latency.parse(self.latency) if self.latency else (0, 0)

    def all_admin_tokens(self, schemas: SchemaRegistry) -> list[str]:
        """`admin_tokens`, then the tenants file's."""
        from_file = _read(self.tenants_file, "mock/tenants-file", schemas).get("admin_tokens", []) \
            if self.tenants_file else []
        return list(dict.fromkeys([*self.admin_tokens, *from_file]))

    def tenants(self, schemas: SchemaRegistry) -> dict[str, dict]:
        """The tenants file's tenants, checked against `mock/tenants-file` of the app's `schemas`."""
        if not self.tenants_file:
            return {}
        return _read(self.tenants_file, "mock/tenants-file", schemas)["tenants"]

    def state(self, schemas: SchemaRegistry) -> dict | None:
        """What the server starts from and returns to on reset: the state file's or the data set's export."""
        path = self.state_file or (self.fixtures and str(data_set_state(self.fixtures)))
        if not path:
            return None
        return _read(path, "mock/state", schemas)

    def saved_state(self, schemas: SchemaRegistry) -> dict | None:
        """The snapshot a previous run left (`snapshot`), checked like a state file; None if there is none yet."""
        if not self.snapshot or not Path(self.snapshot).exists():
            return None
        return _read(self.snapshot, "mock/state", schemas)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Config:
        return cls(**json.loads(text))


def _origin(text: str) -> str:
    """An origin as browsers send it (`http://localhost:3000`), or ValueError."""
    parts = urlsplit(text.strip().rstrip("/").lower())
    try:
        port = parts.port
    except ValueError:
        port = -1
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.username or port == -1
            or parts.path or parts.query or parts.fragment):
        raise ValueError(f"{text!r} is not an origin: give scheme, host and port only, e.g. http://localhost:3000")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != _DEFAULT_PORTS[parts.scheme] else "")


_DEFAULT_PORTS = {"http": 80, "https": 443}


_CHECKED: set[tuple[int, str, bytes]] = set()
"""(registry, schema, sha256 of the bytes) of files that passed: every app built from a config reads its files (the
CLI's check before serving, the plugin's per-test apps of one data set), and checking a seeded world
costs a second or more, so the same bytes are checked once per process."""


def _read(path: str, schema: str, schemas: SchemaRegistry):
    """A JSON file checked whole against its schema: ValueError (or OSError) naming the file and where it is wrong."""
    raw = Path(path).read_bytes()
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        raise ValueError(f"{path}: not JSON: {exc}") from None
    key = (id(schemas), schema, hashlib.sha256(raw).digest())
    if key not in _CHECKED:
        check_document(schemas.errors(schema, data), path)
        _CHECKED.add(key)
    return data
