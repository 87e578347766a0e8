"""Shared settings of the contract suite: how many examples, which app, which credentials."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.stateful import Bundle, initialize
from schemathesis.generation.stateful.state_machine import StepInput

from mockserver.app import create_app
from mockserver.core.config import Config

EXAMPLES_ENV = "MOCKSERVER_CONTRACT_EXAMPLES"


def examples(default: int = 20) -> int:
    """Examples per property-based test (per operation for schemathesis); dial with $MOCKSERVER_CONTRACT_EXAMPLES."""
    raw = os.environ.get(EXAMPLES_ENV, "").strip()
    if not raw:
        return default
    value = int(raw)
    if value < 1:
        raise ValueError(f"{EXAMPLES_ENV} must be a positive integer, not {raw!r}")
    return value


TENANTS_FILE = Path(__file__).with_name("strict-tenants.json")
TOKEN = "contract-token"
"""The one token `strict-tenants.json` accepts; every other token must get 401."""
ADMIN_TOKEN = "contract-admin-token"
"""The admin token `strict-tenants.json` lists: the admin API's one credential in strict auth."""
DOC_GROUP = "sqmcrfbv6fx4g04"
DOC_INTEGRATION = "o10i0iva3tn75kk"


def strict_app():
    """The mock in strict auth mode (so "any other token is refused" can be checked), validating its responses."""
    return create_app(Config(auth="strict", tenants_file=str(TENANTS_FILE), validate_responses=True))


def open_app():
    """The mock as users start it: open auth, validating its responses."""
    return create_app(Config(validate_responses=True))


def workflow(schema, app, start: tuple[str, str] | None = None):
    """A schemathesis state machine over `schema`'s links that starts every scenario from a freshly reset
    `app` (the docs' objects included), so a shrunk scenario replays identically, and counts each
    (operation, status) it saw in its `seen`. `start` (path, method) makes every scenario begin with that
    operation, where schemathesis's own choice of first step would rarely reach the flow under test.
    Subclass it to name it."""

    class Workflow(schema.as_state_machine()):
        seen: Counter = Counter()

        def setup(self):
            app.extensions["mockserver"].reset()

        def after_call(self, response, case):
            super().after_call(response, case)
            self.seen[(case.operation.label, response.status_code)] += 1

        @classmethod
        def explore(cls, examples: int, steps: int, until=None, rounds: int = 3) -> Counter:
            """Run `examples` scenarios of up to `steps` steps, every check after each; what they saw.

            `until` (a test of what was seen) asks for more rounds of scenarios, up to `rounds`, while it is
            false: a random draw that never reached one step (a Heidi run under load once fetched no session
            in 92 steps) then gets another chance, and a flow that cannot be reached still fails."""
            cls.seen.clear()
            for _ in range(rounds if until else 1):
                cls.run(settings=settings(max_examples=examples, stateful_step_count=steps, deadline=None,
                                          suppress_health_check=list(HealthCheck)))
                if until is None or until(cls.seen):
                    break
            return cls.seen

    if start is not None:
        path, method = start

        @initialize(target=Bundle("catch_all"), case=schema[path][method].as_strategy())
        def begin(self, case):
            self.recorder.record_case(case=case)
            return self.step(StepInput.initial(case))

        Workflow.begin = begin
    return Workflow


ACCEPT_MISSING_IDS = ["2xx", "404"]
REJECTIONS = ["400", "401", "404", "422"]
"""Narrower than schemathesis' default: FastAPI-style services answer bad input with 422 (400 for rule
violations, 401 for broken credentials, 404 for a random path id), never 405/406/409/415/5xx."""
