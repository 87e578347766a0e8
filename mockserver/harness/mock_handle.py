"""A mock app in this process and the controls a test needs over it."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from mockserver.clinical import transcripts
from mockserver.control.faults import FaultRule
from mockserver.control.journal import Journal
from mockserver.core.clock import Clock
from mockserver.haidy import consultations
from mockserver.haidy.api import api as haidy_api

PLUGIN_TENANTS = ("test-token", "test-api-key")
"""The tenants of the plugin's `haidy_session` (its token) and `heidi_session` (its API key)."""


class MockHandle:
    """State, journal, faults and clock of one app; the plugin's fixtures return these."""

    def __init__(self, app: Flask):
        self.app = app

    @property
    def runtime(self):
        return self.app.extensions["mockserver"]

    def reset(self) -> None:
        """Drop all state, journal and faults and unfreeze the clock: as on a new server."""
        self.runtime.reset()

    def client(self) -> FlaskClient:
        """A Flask test client: in-process, no sockets."""
        return self.app.test_client()

    @property
    def admin_headers(self) -> dict[str, str]:
        """Headers for this mock's admin API over HTTP: its first admin token in strict auth, none in open auth."""
        access = self.runtime.admin
        return {"Authorization": f"Bearer {access.tokens[0]}"} if access.required and access.tokens else {}

    @property
    def journal(self) -> Journal:
        """Every request and answer since the last reset: `.find(...)`, `.assert_called(...)`."""
        return self.runtime.journal

    @property
    def clock(self) -> Clock:
        """The mock's time: `.freeze(at)`, `.advance(seconds)`, `.unfreeze()`."""
        return self.runtime.clock

    def backend(self, family: str, tenant: str):
        """A family's domain model for one tenant, locked for a `with` block: direct test setup, e.g.
        `with mock.backend("haidy", "test-token") as haidy: haidy.override_structure(text, output)`."""
        return self.runtime.store.session(family, tenant)

    def register_transcript(self, audio: bytes, text: str, tenants: str | tuple[str, ...] = PLUGIN_TENANTS) -> str:
        """Make this recording transcribe to `text` in every family: `mockserver.register_transcript(wav, "...")`.
        By default for the tenants of the plugin's `haidy_session` and `heidi_session`. Returns the audio's sha256."""
        for tenant in (tenants,) if isinstance(tenants, str) else tenants:
            with self.runtime.store.session(transcripts.NAME, tenant) as book:
                digest = book.register(audio, text)
        return digest

    def approve_consultation(self, unique_id: str, transcript: str, tenant: str = "test-token", **fields) -> dict:
        """A consultation approved in the Haidy app (simulated), as `GET /v2/consultations` then lists it for
        `tenant`: `mockserver.approve_consultation("patient-12345", "Patient with hypertension...")`. `fields`:
        integration, approved_at (a datetime), title. Returns the consultation as the vendor API shows it."""
        with self.runtime.store.session(haidy_api.name, tenant) as haidy:
            return consultations.approve(haidy, unique_id, transcript, **fields).to_json()

    def fault(self, **rule) -> FaultRule:
        """Add a fault rule (see `FaultRule`): `fault(method="POST", path="/v2/*", status=503)`. What it returns reads
        as the rule stands now (`matched`, `fired`), on either store."""
        return LiveRule(self.runtime.faults, self.runtime.faults.add(FaultRule(**rule)))


class LiveRule:
    """A fault rule whose attributes are read afresh from the rules held: on the shared store the counters live in
    Redis, and a rule object copied out of it would keep the counts of the moment it was added."""

    def __init__(self, faults, rule: FaultRule):
        self._faults, self._added = faults, rule

    def __getattr__(self, name: str):
        current = next((r for r in self._faults.rules() if r.id == self._added.id), self._added)
        return getattr(current, name)

    def __repr__(self) -> str:
        return f"LiveRule({self._added.id})"
