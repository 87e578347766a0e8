"""The gate: one request at a time in the app, and a waiting one steps out."""

from __future__ import annotations

import threading
import time

from mockserver.core import gate
from mockserver.core.gate import Gate


def test_requests_enter_the_app_one_at_a_time():
    inside, most = [0], [0]

    def app(environ, start_response):
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        time.sleep(0.01)  # a plain sleep (not gate.wait) keeps the gate: the next request must wait for it
        inside[0] -= 1
        return [b"ok"]

    gated = Gate().around(app)
    threads = [threading.Thread(target=gated, args=({}, None)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1


def test_a_request_that_waits_lets_the_others_in_and_comes_back_in():
    log = []
    slow_waiting = threading.Event()

    def app(environ, start_response):
        if environ["name"] == "slow":
            slow_waiting.set()
            gate.wait(0.3)
            log.append(("slow back in", gate._held.gate is not None))
        else:
            log.append(("fast", None))
        return [b""]

    gated = Gate().around(app)
    slow = threading.Thread(target=gated, args=({"name": "slow"}, None))
    slow.start()
    assert slow_waiting.wait(5)
    started = time.monotonic()
    gated({"name": "fast"}, None)
    fast_took = time.monotonic() - started
    slow.join()
    assert log == [("fast", None), ("slow back in", True)]
    assert fast_took < 0.25  # it did not wait for the slow one's 0.3 s


def test_without_a_gate_waiting_is_a_plain_sleep():
    started = time.monotonic()
    gate.wait(0.05)
    with gate.stepped_out():
        pass
    assert time.monotonic() - started >= 0.05 and getattr(gate._held, "gate", None) is None


def test_the_gate_is_left_when_the_app_raises():
    def app(environ, start_response):
        raise ValueError("broken")

    gated = Gate().around(app)
    for _ in range(2):  # the second call would block forever if the first had kept the gate
        try:
            gated({}, None)
        except ValueError:
            pass
    assert getattr(gate._held, "gate", None) is None


def test_a_request_waiting_for_its_tenant_lets_the_others_in():
    """A tenant held outside the gate (a task's work, a snapshot) does not hold up requests of other tenants."""
    from mockserver.core.store import MemoryStore

    store = MemoryStore(lambda tenant, family: {})
    store.register("f", lambda settings: {"tenant": "state"}, lambda state: state)
    held, release = threading.Event(), threading.Event()

    def holder():  # not a request: no gate
        with store.session("f", "busy"):
            held.set()
            release.wait(5)

    def app(environ, start_response):
        with store.session("f", environ["tenant"]):
            return [environ["tenant"].encode()]

    gated = Gate().around(app)
    threading.Thread(target=holder).start()
    assert held.wait(5)
    waiting = threading.Thread(target=gated, args=({"tenant": "busy"}, None))
    waiting.start()
    time.sleep(0.1)  # it waits for "busy" now, out of the gate
    started = time.monotonic()
    assert gated({"tenant": "other"}, None) == [b"other"]
    other_took = time.monotonic() - started
    release.set()
    waiting.join(5)
    assert not waiting.is_alive() and other_took < 1.0
