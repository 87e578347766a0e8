"""`RedisClock`: one clock for every worker on a Redis. A "second worker" is a second clock on its own client."""

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest

from mockserver.core.clock import Clock, RedisClock

AT = datetime(2024, 1, 15, 10, 30, tzinfo=UTC)


@pytest.fixture
def clocks(redis_link, other_link):
    return RedisClock(redis_link), RedisClock(other_link)


def real_now_between(clock, offset=timedelta()):
    """`clock.now()`, asserted to lie within the real time around the call plus `offset`."""
    before = datetime.now(UTC)
    now = clock.now()
    assert before + offset <= now <= datetime.now(UTC) + offset
    return now


def test_a_frozen_instant_is_seen_by_the_other_worker(clocks):
    first, second = clocks
    assert not second.frozen
    real_now_between(second)
    first.freeze(AT)
    assert second.frozen and second.now() == AT and first.now() == AT


def test_freezing_at_now_keeps_the_shared_offset_and_a_frozen_instant(clocks):
    first, second = clocks
    first.advance(3600)
    real_now_between(second, timedelta(hours=1))
    before = datetime.now(UTC)
    second.freeze()
    frozen = first.now()
    assert before + timedelta(hours=1) <= frozen <= datetime.now(UTC) + timedelta(hours=1)
    assert first.now() == second.now() == frozen
    first.freeze()  # already frozen: stays where it is, as Clock does
    assert second.now() == frozen


def test_an_instant_in_another_zone_is_frozen_as_its_utc_moment_to_the_microsecond(clocks):
    first, second = clocks
    first.freeze(datetime(2024, 1, 15, 12, 30, 0, 7, tzinfo=timezone(timedelta(hours=2))))
    assert second.now() == datetime(2024, 1, 15, 10, 30, 0, 7, tzinfo=UTC) and second.now().tzinfo is UTC
    first.freeze(datetime(1960, 2, 29, tzinfo=UTC))  # before the epoch
    assert second.now() == datetime(1960, 2, 29, tzinfo=UTC)


def test_concurrent_advances_on_two_workers_all_count(clocks):
    first, second = clocks
    first.freeze(AT)
    per_thread, threads = 25, 8
    start = threading.Barrier(threads)

    def advance(clock):
        start.wait()
        for _ in range(per_thread):
            clock.advance(10)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(advance, [first, second] * (threads // 2)))
    assert first.now() == second.now() == AT + timedelta(seconds=10 * per_thread * threads)


def test_concurrent_advances_of_a_running_clock_all_count(clocks):
    first, second = clocks
    start = threading.Barrier(4)

    def advance(clock):
        start.wait()
        for _ in range(50):
            clock.advance(36)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(advance, [first, second, first, second]))
    assert not second.frozen
    real_now_between(second, timedelta(seconds=4 * 50 * 36))
    real_now_between(first, timedelta(hours=2))


def test_advance_is_exact_to_the_microsecond(clocks):
    first, second = clocks
    first.freeze(AT)
    for seconds in (1.5, 0.000001, -0.25, 86400 * 365):
        second.advance(seconds)
    assert first.now() == AT + timedelta(seconds=1.5 + 0.000001 - 0.25 + 86400 * 365)


def test_unfreeze_returns_every_worker_to_real_time(clocks):
    first, second = clocks
    first.advance(-7200)
    first.freeze(AT)
    second.unfreeze()
    assert not first.frozen
    real_now_between(first)  # the offset is gone too


def test_the_same_steps_give_the_same_times_as_the_memory_clock(clocks):
    first, second = clocks
    memory = Clock()
    steps = [("freeze", AT), ("advance", 90), ("advance", 0.5), ("freeze", None), ("advance", -30),
             ("freeze", AT - timedelta(days=3)), ("advance", 1)]
    for index, (step, value) in enumerate(steps):
        args = () if value is None else (value,)
        getattr(memory, step)(*args)
        getattr(first if index % 2 else second, step)(*args)
        assert first.now() == second.now() == memory.now()
        assert first.frozen is memory.frozen


def test_now_is_one_redis_command(clocks, redis_link, monkeypatch):
    first, _ = clocks
    first.freeze(AT)
    sent = []
    client = redis_link.redis
    execute = client.execute_command
    monkeypatch.setattr(client, "execute_command", lambda *args, **kw: sent.append(args[0]) or execute(*args, **kw))
    first.now()
    assert sent == ["HMGET"]
    first.unfreeze()
    sent.clear()
    first.now()
    assert sent == ["HMGET"]


def test_importing_the_clock_does_not_import_redis():
    code = "import sys, mockserver.core.clock; assert 'redis' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
