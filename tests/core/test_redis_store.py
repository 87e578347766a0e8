"""The shared store on a real Redis: records one by one, sessions as units of work, two stores as two workers."""

from __future__ import annotations

import threading
import uuid

import pytest

from mockserver.core.clock import Clock
from mockserver.core.errors import BadRequest, StoreUnavailable
from mockserver.core.redis_store import RedisStore
from mockserver.core.shared import RedisLink
from mockserver.core.store import MemoryStore
from mockserver.heidi.models import ApiUser
from mockserver.registry import FAMILIES

GROUP = "sqmcrfbv6fx4g04"
CLOCK = Clock()
CLOCK.freeze()
"""One frozen clock for every store here: a world built twice gets the same timestamps."""


def _store(link: RedisLink, clock: Clock = CLOCK) -> RedisStore:
    store = RedisStore(link, lambda tenant, family: {})
    for family in FAMILIES:
        store.register(family.name, lambda settings, f=family: f.new_backend(clock, settings),
                       lambda state, f=family: f.restore_backend(clock, state),
                       lambda tables, f=family: f.open_backend(clock, tables))
    return store


@pytest.fixture
def two(redis_link):
    """Two stores on one prefix, each with its own connection: two worker processes as the store sees them."""
    return _store(redis_link), _store(RedisLink.parse(redis_link.url))


def test_what_one_worker_writes_the_other_reads(two):
    first, second = two
    with first.session("haidy", "acme") as haidy:
        ctx = haidy.create_patient_context("P-1", GROUP, name="Ada")
    with second.session("haidy", "acme", writes=False) as haidy:
        assert haidy.patient_context(ctx.id).name == "Ada"
        assert [c.external_id for c in haidy.find_patient_contexts()] == ["P-1"]
    with second.session("haidy", "other", writes=False) as haidy:
        assert haidy.find_patient_contexts() == []  # another tenant's world


def test_a_change_in_place_is_written_back_and_only_what_changed(two):
    first, second = two
    with first.session("haidy", "acme") as haidy:
        ctx = haidy.create_patient_context("P-1", GROUP)
    with second.session("haidy", "acme") as haidy:
        haidy.upload_files(ctx.id, [("a.txt", b"hello")], 1000)
    with first.session("haidy", "acme", writes=False) as haidy:
        stored = haidy.patient_context(ctx.id)
        assert len(stored.file_ids) == 1 and haidy.files[stored.file_ids[0]].content == b"hello"
    with first.session("heidi", "acme") as heidi:
        user = heidi.users[0] if heidi.users else None
    assert user is None  # reading Heidi's empty world created no user


def test_an_error_in_a_session_writes_nothing(two):
    first, _ = two
    with pytest.raises(BadRequest), first.session("haidy", "acme") as haidy:
        haidy.create_patient_context("P-1", GROUP)
        haidy.create_patient_context("P-1", GROUP)  # the duplicate: the first create goes too
    with first.session("haidy", "acme", writes=False) as haidy:
        assert haidy.find_patient_contexts() == []


def test_forty_concurrent_creates_of_one_external_id_on_two_workers_give_one_context(two):
    outcomes, start = [], threading.Barrier(40)

    def create(store):
        start.wait()
        try:
            with store.session("haidy", "acme") as haidy:
                haidy.create_patient_context("SAME", GROUP)
            outcomes.append("created")
        except BadRequest:
            outcomes.append("duplicate")

    threads = [threading.Thread(target=create, args=(two[i % 2],)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created"] + ["duplicate"] * 39
    with two[0].session("haidy", "acme", writes=False) as haidy:
        assert len(haidy.find_patient_contexts(external_id="SAME")) == 1


def test_export_and_load_match_the_memory_store(two):
    """The same world built in memory and on Redis exports the same, and an export loaded into Redis comes back."""
    clock = CLOCK
    memory = MemoryStore(lambda tenant, family: {})
    for family in FAMILIES:
        memory.register(family.name, lambda settings, f=family: f.new_backend(clock, settings),
                        lambda state, f=family: f.restore_backend(clock, state))

    def build(store):
        with store.session("haidy", "acme") as haidy:
            haidy.entropy = lambda n: b"\1" * n
            ctx = haidy.create_patient_context("P-1", GROUP, name="Ada")
            haidy.upload_files(ctx.id, [("a.txt", b"hello")], 1000)
        with store.session("heidi", "acme") as heidi:
            heidi.entropy = lambda n: b"\2" * n
            data = heidi.user(ApiUser("clin-1", "c@example.com"))
            data.create_session()
            data.link_account("kinde-1")
        with store.session("esteem", "world") as esteem:
            user = esteem.upsert_user("tok", role="admin")
            esteem.create_patient(user, {"first_name": "A", "last_name": "B", "date_of_birth": "1980-01-01"})
        return store.export()

    first, second = two
    exported = build(first)
    assert exported == build(memory)
    second.load(memory.export())
    assert second.export() == exported
    with second.session("esteem", "world") as esteem:  # ids go on from the loaded ones
        user = esteem.authenticate("tok", enrol=False)
        assert esteem.create_patient(user, {"first_name": "C", "last_name": "D",
                                            "date_of_birth": "1990-01-01"}).id == 1050


def test_reset_empties_the_world_for_every_worker_and_keeps_other_prefixes(two, redis_server):
    first, second = two
    neighbour = _store(RedisLink.parse(f"{redis_server.url}?prefix=neighbour{id(two)}"))
    for store in (first, neighbour):
        with store.session("haidy", "acme") as haidy:
            haidy.create_patient_context("P-1", GROUP)
    version = second.version
    second.reset()
    assert second.version != version
    with first.session("haidy", "acme", writes=False) as haidy:
        assert haidy.find_patient_contexts() == []
    with neighbour.session("haidy", "acme", writes=False) as haidy:
        assert len(haidy.find_patient_contexts()) == 1
    neighbour.reset()


def test_a_read_costs_one_record_not_the_table(two):
    """A get reads the record it asks for: the table is never loaded whole for it."""
    first, _ = two
    with first.session("haidy", "acme") as haidy:
        ids = [haidy.create_patient_context(f"P-{n}", GROUP).id for n in range(50)]
    with first.session("haidy", "acme", writes=False) as haidy:
        assert haidy.patient_context(ids[7]).external_id == "P-7"
        assert not haidy.contexts._complete and list(haidy.contexts._objects) == [ids[7]]


def test_a_session_that_changes_nothing_keeps_the_version(two):
    """The version is the state's ETag: a request that wrote nothing must not make every reader fetch it again."""
    first, second = two
    with first.session("haidy", "acme") as haidy:
        ctx = haidy.create_patient_context("P-1", GROUP)
    version = second.version
    with first.session("haidy", "acme") as haidy:  # a writing session that only reads
        haidy.patient_context(ctx.id)
    assert second.version == version
    with first.session("haidy", "acme") as haidy:
        haidy.patient_context(ctx.id).name = "Changed"
    assert second.version != version


def test_a_session_whose_lock_expired_writes_nothing(two, redis_link):
    """Past the lock's lifetime another worker may hold the tenant: the late session's writes would undo its."""
    first, _ = two
    with first.session("haidy", "acme") as haidy:
        haidy.create_patient_context("EARLY", GROUP)
    with pytest.raises(StoreUnavailable, match="longer than the tenant's lock"), \
            first.session("haidy", "acme") as haidy:
        haidy.create_patient_context("LATE", GROUP)
        redis_link.redis.set(redis_link.key("lock", "haidy", "acme"), "another worker's token")
    with first.session("haidy", "acme", writes=False) as haidy:
        assert haidy.find_patient_contexts(external_id="LATE") == []


def test_a_failed_session_gives_its_lock_back_at_once(two, redis_link):
    first, second = two
    with pytest.raises(BadRequest), first.session("haidy", "acme") as haidy:
        raise BadRequest("the handler refused")
    assert redis_link.redis.get(redis_link.key("lock", "haidy", "acme")) is None
    with second.session("haidy", "acme") as haidy:  # no wait for an expiry
        haidy.create_patient_context("NEXT", GROUP)


def test_a_reset_leaves_a_prefix_its_own_glob_would_match(redis_server):
    """A prefix is a name, not a pattern: resetting `t?` must not wipe the world of `tx`."""
    suffix = uuid.uuid4().hex[:8]
    globbing = _store(RedisLink.parse(f"{redis_server.url}?prefix=g{suffix}?"))
    neighbour = _store(RedisLink.parse(f"{redis_server.url}?prefix=g{suffix}x"))
    for store in (globbing, neighbour):
        with store.session("haidy", "acme") as haidy:
            haidy.create_patient_context("P-1", GROUP)
    globbing.reset()
    with neighbour.session("haidy", "acme", writes=False) as haidy:
        assert len(haidy.find_patient_contexts()) == 1
    for store in (globbing, neighbour):
        store.link.wipe()
    assert list(neighbour.link.redis.scan_iter(f"g{suffix}*")) == []
