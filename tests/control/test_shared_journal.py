"""`RedisJournal`: the request journal shared by every worker on a Redis. A "second worker" is a second
`RedisJournal` on its own client; threads on both stand for concurrent requests. `Journal` (in memory) is the
reference: the same records give the same entries."""

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest

from mockserver.control import journal as journal_module
from mockserver.control.journal import BODY_LIMIT, PAGE, Journal, RedisJournal

START = datetime(2024, 1, 15, 10, 30, 0, 123456, tzinfo=UTC)


def request(n: int = 0, **fields) -> dict:
    """The keyword arguments of one `record` call: request `n`, with `fields` changed."""
    environ = {"QUERY_STRING": f"n={n}", "HTTP_X_REQUEST_NUMBER": str(n), "CONTENT_TYPE": "application/json",
               "CONTENT_LENGTH": "9", "wsgi.input": object(), "REMOTE_ADDR": "127.0.0.1"}
    return {"at": START + timedelta(milliseconds=n), "family": "haidy", "method": "POST", "path": f"/v2/items/{n}",
            "environ": environ, "request_body": b'{"n": %d}' % n, "status": 201, "duration_ms": 1.25,
            "response_body": b'{"id": "%d"}' % n, "operation": "create_item", "fault": None, **fields}


def record_concurrently(journals, each: int, threads: int = 8) -> None:
    """`each` records from each of `threads` threads spread over `journals`, all starting together; thread t's
    n-th request is `t * 1000 + n`."""
    start = threading.Barrier(threads)

    def records(thread: int):
        start.wait()
        for n in range(each):
            journals[thread % len(journals)].record(**request(thread * 1000 + n))

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(records, range(threads)))


def numbers(entries) -> list[int]:
    return [int(entry.request_headers["X-Request-Number"]) for entry in entries]


def test_every_workers_records_appear_in_id_order(redis_link, other_link):
    first, second = RedisJournal(redis_link), RedisJournal(other_link)
    record_concurrently([first, second], each=40)
    entries = first.find()
    assert [e.id for e in entries] == list(range(1, 321))
    assert sorted(numbers(entries)) == sorted(t * 1000 + n for t in range(8) for n in range(40))
    for thread in range(8):  # each thread's requests in the order it sent them
        mine = [n for n in numbers(entries) if n // 1000 == thread]
        assert mine == sorted(mine)
    assert second.find() == entries and len(first) == len(second) == 320


def test_the_journal_keeps_the_newest_size_entries(redis_link, other_link):
    first, second = RedisJournal(redis_link, size=50), RedisJournal(other_link, size=50)
    record_concurrently([first, second], each=30)
    assert [e.id for e in second.find()] == list(range(191, 241))
    assert len(first) == 50 and first.oldest_id == second.oldest_id == 191


def test_ids_only_grow_across_clears(redis_link, other_link):
    first, second = RedisJournal(redis_link), RedisJournal(other_link)
    assert first.oldest_id == 1 and len(first) == 0 and first.find() == []
    for n in range(3):
        first.record(**request(n))
    second.clear()
    assert first.find() == [] and len(first) == 0
    assert first.oldest_id == second.oldest_id == 4  # empty: the id the next entry gets
    second.record(**request(3))
    assert [e.id for e in first.find()] == [4] and first.oldest_id == 4
    assert [e.id for e in first.find(after=2)] == [4]


def test_after_and_limit(redis_link):
    journal = RedisJournal(redis_link)
    for n in range(10):
        journal.record(**request(n, method="GET" if n % 3 else "POST"))

    def ids(**query) -> list[int]:
        return [e.id for e in journal.find(**query)]

    assert ids(after=7) == [8, 9, 10]
    assert ids(after=0) == ids() == list(range(1, 11))
    assert ids(after=10) == ids(after=10**30) == []
    assert ids(limit=3) == [8, 9, 10]
    assert ids(limit=20) == list(range(1, 11))
    assert ids(after=2, limit=3) == [8, 9, 10]
    assert ids(after=8, limit=5) == [9, 10]
    assert ids(method="post", limit=2) == [7, 10]
    assert ids(method="POST", after=4, limit=1) == [10]


def test_a_filtered_limit_reads_back_past_a_page(redis_link, monkeypatch):
    journal = RedisJournal(redis_link)
    for n in range(3 * PAGE):
        journal.record(**request(n, status=500 if n % PAGE == 7 else 200))
    sent = []
    client = redis_link.redis
    execute = client.execute_command
    monkeypatch.setattr(client, "execute_command", lambda *args, **kw: sent.append(args[0]) or execute(*args, **kw))
    assert [e.id for e in journal.find(status=500, limit=2)] == [PAGE + 8, 2 * PAGE + 8]
    assert sent == ["XREVRANGE", "XREVRANGE"]
    sent.clear()
    assert [e.id for e in journal.find(after=3 * PAGE - 5, limit=100)] == list(range(3 * PAGE - 4, 3 * PAGE + 1))
    assert sent == ["XREVRANGE"]  # a live reader's poll: one read


def test_filters(redis_link):
    journal = RedisJournal(redis_link)
    journal.record(**request(1))
    journal.record(**request(2, family="heidi", method="GET", path="/api/v2/sessions", status=404, operation=None))
    journal.record(**request(3, family="esteem", method="PUT", path="/v1/patients/3", operation="update"))

    def ids(**query) -> list[int]:
        return [e.id for e in journal.find(**query)]

    assert ids(family="heidi") == [2]
    assert ids(method="put") == [3]
    assert ids(path="/v*/*s/*") == [1, 3] and ids(path="/api/*") == [2] and ids(path="/v2/items") == []
    assert ids(status=404) == [2] and ids(status=201) == [1, 3]
    assert ids(operation="create_item") == [1]
    assert ids(family="haidy", method="POST", status=201, operation="create_item", path="/v2/items/1") == [1]


def varied_requests(rng: random.Random, count: int):
    """Records of every kind the journal meets: cut bodies, bytes that are not UTF-8, text that is not ASCII, latin-1
    headers, credentials, no operation, faults, another time zone."""
    for n in range(count):
        body = rng.choice([b"", b'{"password": "hunter2-hunter2-0001"}', b"\xff\xfe not utf-8", "héllo ✓".encode(),
                           b"x" * (BODY_LIMIT + 10), '{"a": "é'.encode() * (BODY_LIMIT // 8)])
        environ = {"QUERY_STRING": rng.choice(["", "access_token=live-token-0123456789&x=1", "q=%C3%A9"]),
                   "HTTP_AUTHORIZATION": "Bearer live-token-0123456789-wxyz", "HTTP_X_NAME": "caf\xe9",
                   "HTTP_COOKIE": "session=abc; theme=dark", "CONTENT_TYPE": rng.choice(["", "application/json"])}
        yield {"at": START.astimezone(timezone(timedelta(hours=rng.choice([0, 10])))) + timedelta(microseconds=n),
               "family": rng.choice(["haidy", "heidi", "esteem", ""]), "method": rng.choice(["GET", "POST"]),
               "path": rng.choice(["/v2/patient-contexts/", "/v1/patients/7", "/nowhere/ü"]), "environ": environ,
               "request_body": body, "status": rng.choice([200, 404, 503]),
               "duration_ms": rng.choice([0.0, 1.234, 12]), "response_body": rng.choice([body, b'{"ok": true}']),
               "operation": rng.choice([None, "create", "read"]), "fault": rng.choice([None, "fault-1"])}


QUERIES = [{}, {"family": "heidi"}, {"method": "get"}, {"path": "/v*"}, {"status": 404}, {"operation": "read"},
           {"after": 17}, {"limit": 5}, {"after": 30, "limit": 4}, {"family": "haidy", "status": 200, "limit": 3},
           {"operation": "create", "after": 10}, {"after": 60}]


def test_the_entries_are_those_the_memory_journal_gives(redis_link):
    memory, shared = Journal(size=40), RedisJournal(redis_link, size=40)
    for fields in varied_requests(random.Random(7), 60):
        memory.record(**fields)
        shared.record(**fields)
    for query in QUERIES:
        expected, got = memory.find(**query), shared.find(**query)
        assert [e.to_json() for e in got] == [e.to_json() for e in expected], query
        assert [e.masked_json for e in got] == [e.masked_json for e in expected], query
        assert got == expected  # `at` too, to the microsecond, in its own time zone
    assert (len(shared), shared.oldest_id, shared.summary()) == (len(memory), memory.oldest_id, memory.summary())
    assert [e.at.utcoffset() for e in shared.find()] == [e.at.utcoffset() for e in memory.find()]


def test_credentials_are_masked_as_today(redis_link):
    journal = RedisJournal(redis_link)
    journal.record(**request(1, environ={"HTTP_AUTHORIZATION": "Bearer live-token-0123456789-wxyz",
                                         "QUERY_STRING": "access_token=live-token-0123456789-wxyz&x=1"},
                             request_body=b'{"password": "hunter2", "name": "x"}'))
    entry = journal.find()[0]
    assert entry.request_headers["Authorization"] == "Bearer live-token-0123456789-wxyz"  # as sent, for tests
    assert entry.masked_json["request_headers"]["Authorization"] == "Bearer ****wxyz"
    assert entry.masked_json["query"] == "access_token=****wxyz&x=1"
    assert entry.masked_json["request_body"] == '{"password": "****", "name": "x"}'


def test_assertion_helpers(redis_link, other_link):
    RedisJournal(redis_link).record(**request(1, method="GET", path="/v2/x"))
    journal = RedisJournal(other_link)
    assert [e.id for e in journal.assert_called("GET", "/v2/*", times=1, status=201)] == [1]
    journal.assert_not_called("POST", "/v2/*")
    with pytest.raises(AssertionError, match=r"GET /v2/x called 1 times, expected 2; journal:\n  #1 GET /v2/x -> 201"):
        journal.assert_called("GET", "/v2/x", times=2)
    with pytest.raises(AssertionError, match="GET /v2/x was called 1 times"):
        journal.assert_not_called("get", "/v2/x")


def test_recording_is_one_round_trip_and_builds_no_entry(redis_link, monkeypatch):
    journal = RedisJournal(redis_link)
    journal.record(**request(0))  # the script is loaded now
    sent = []
    client = redis_link.redis
    execute = client.execute_command
    monkeypatch.setattr(client, "execute_command", lambda *args, **kw: sent.append(args[0]) or execute(*args, **kw))
    monkeypatch.setattr(journal_module, "Entry", None)  # building one would fail
    journal.record(**request(1))
    assert sent == ["EVALSHA"]


def test_the_memory_journal_still_reads_nothing_when_it_records(monkeypatch):
    journal = Journal()
    monkeypatch.setattr(journal_module, "_material", None)
    monkeypatch.setattr(journal_module, "Entry", None)
    journal.record(**request(1))
    assert len(journal) == 1


def test_a_record_is_compact(redis_link):
    journal = RedisJournal(redis_link)
    journal.record(**request(1, environ={"wsgi.input": object(), "HTTP_HOST": "x", "REMOTE_ADDR": "127.0.0.1"}))
    [(_, fields)] = redis_link.redis.xrange(redis_link.key("journal", "entries"))
    assert fields == {b"k": b'["haidy","POST","/v2/items/1",201,"create_item"]',
                      b"v": b'["2024-01-15T10:30:00.124456+00:00","",1.25,{"Host":"x"},"{\\"n\\": 1}",'
                            b'"{\\"id\\": \\"1\\"}",null]'}


def test_an_entry_read_masked_still_answers_as_sent():
    journal = Journal()
    journal.record(**request(1, environ={"HTTP_AUTHORIZATION": "Bearer live-token-0123456789-wxyz"}))
    entry = journal.find()[0]
    assert entry.masked_json["request_headers"]["Authorization"] == "Bearer ****wxyz"
    assert "masked_json" not in journal.find()[0].to_json()  # the same (cached) entry, not its cache
