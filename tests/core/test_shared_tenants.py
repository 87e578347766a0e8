"""`RedisTenantDirectory`: tenants provisioned at run time through one worker act on every worker on the Redis.
A "second worker" is a second directory on its own client; `TenantDirectory` (in memory) is the reference for how
settings merge."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from mockserver.core.config import Config
from mockserver.core.shared import RedisLink
from mockserver.core.tenants import RedisTenantDirectory, TenantDirectory

CONFIGURED = {
    "acme": {"tokens": ["acme-1", "acme-2"], "haidy": {"patient_groups": ["g1"], "integrations": ["i1"]},
             "heidi": {"api_keys": ["acme-key"]}},
    "zeta": {"tokens": ["zeta-1"], "esteem": {"users": [{"token": "zed", "name": "Zed"}]}},
}
SHARED = {"esteem": "world"}
"""Esteem's data is one world, whoever provisions it (as `Family.shared_tenant`)."""


def config(auth: str = "strict") -> Config:
    """The directory is given the tenants file's tenants (`CONFIGURED`); it never reads the file itself."""
    return Config(auth=auth, tenants_file="tenants.json" if auth == "strict" else None)


def directory(link: RedisLink, auth: str = "strict") -> RedisTenantDirectory:
    return RedisTenantDirectory(link, config(auth), CONFIGURED, SHARED)


@pytest.fixture
def workers(redis_link, other_link):
    return directory(redis_link), directory(other_link)


@pytest.fixture
def sent(redis_link, other_link, monkeypatch):
    """The commands both workers send to Redis, by name."""
    names = []
    for client in (redis_link.redis, other_link.redis):
        monkeypatch.setattr(client, "execute_command",
                            lambda *args, _execute=client.execute_command, **kw: names.append(args[0])
                            or _execute(*args, **kw))
    return names


def test_a_tenant_added_through_one_worker_resolves_on_the_other(workers):
    first, second = workers
    assert second.resolve("beta-1") is None
    first.add("beta", {"tokens": ["beta-1", "beta-2"]})
    assert second.resolve("beta-1") == second.resolve("beta-2") == "beta"
    assert second.resolve("acme-1") == "acme" and second.resolve("nobody") is None


def test_open_auth_still_makes_any_other_token_its_own_tenant(redis_link, other_link):
    first, second = directory(redis_link, "open"), directory(other_link, "open")
    first.add("beta", {"tokens": ["beta-1"]})
    assert second.open and second.resolve("beta-1") == "beta"
    assert second.resolve("stranger") == "stranger" and second.resolve("acme-2") == "acme"


def test_settings_merge_as_the_memory_directory_merges_them(workers):
    memory = TenantDirectory(config(), CONFIGURED, SHARED)
    adds = [("acme", {"haidy": {"patient_groups": ["g2", "g1"]}}),
            ("beta", {"tokens": ["beta-1"], "haidy": {"patient_groups": ["b1"], "integrations": []}}),
            ("acme", {"haidy": {"patient_groups": ["g3", "g2"], "integrations": ["i1", "i2"]},
                      "heidi": {"api_keys": ["acme-key-2"]}}),
            ("beta", {"esteem": {"users": [{"name": "Bea", "token": "bea"}, {"token": "zed", "name": "Zed"}]}}),
            ("gamma", {"esteem": {"users": [{"token": "bea", "name": "Bea"}, {"token": "gus", "name": "Gus"}]}})]
    for n, (name, spec) in enumerate(adds):
        memory.add(name, spec)
        workers[n % 2].add(name, spec)
    for worker in workers:
        for tenant in ("acme", "beta", "gamma", "world", "zeta", "nobody"):
            for family in ("haidy", "heidi", "esteem"):
                assert worker.settings(tenant, family) == memory.settings(tenant, family), (tenant, family)
    assert workers[1].settings("acme", "haidy") == {"patient_groups": ["g1", "g2", "g3"], "integrations": ["i1", "i2"]}
    assert [user["token"] for user in workers[0].settings("world", "esteem")["users"]] == ["zed", "bea", "gus"]


def test_reading_settings_does_not_change_the_configured_ones(workers):
    first, second = workers
    second.add("acme", {"haidy": {"patient_groups": ["g2"]}})
    first.settings("acme", "haidy")["patient_groups"].append("mine")
    assert first.settings("acme", "haidy")["patient_groups"] == ["g1", "g2"]
    second.reset()
    assert first.settings("acme", "haidy")["patient_groups"] == ["g1"]


def test_reset_keeps_the_configured_tenants_and_drops_the_run_time_ones_for_every_worker(workers):
    first, second = workers
    first.add("beta", {"tokens": ["beta-1"], "heidi": {"api_keys": ["beta-key"]}})
    first.add("acme", {"tokens": ["acme-3"], "haidy": {"patient_groups": ["g2"]}})
    second.reset()
    for worker in workers:
        assert worker.resolve("beta-1") is None and worker.resolve("acme-3") is None
        assert worker.resolve("acme-1") == "acme" and worker.resolve("zeta-1") == "zeta"
        assert worker.settings("acme", "haidy") == {"patient_groups": ["g1"], "integrations": ["i1"]}
        assert worker.settings("beta", "heidi") == {}
        assert worker.owner("heidi", "api_keys", "beta-key") is None
        assert worker.owner("heidi", "api_keys", "acme-key") == "acme"
        assert worker.configured is CONFIGURED
    first.add("beta", {"tokens": ["beta-9"]})  # provisioning works again after a reset
    assert second.resolve("beta-9") == "beta"


def test_a_worker_that_starts_later_sees_the_run_time_tenants(workers, redis_link):
    workers[0].add("beta", {"tokens": ["beta-1"]})
    late = directory(RedisLink.parse(redis_link.url))
    assert late.resolve("beta-1") == "beta" and workers[1].resolve("beta-1") == "beta"


def test_owner_finds_values_added_through_any_worker(workers):
    first, second = workers
    first.add("beta", {"heidi": {"api_keys": ["beta-key"]}})
    second.add("acme", {"heidi": {"api_keys": ["acme-key-2"]}})
    first.add("gamma", {"esteem": {"users": [{"token": "gus", "name": "Gus"}]}})
    assert second.owner("heidi", "api_keys", "beta-key") == "beta"
    assert first.owner("heidi", "api_keys", "acme-key-2") == second.owner("heidi", "api_keys", "acme-key") == "acme"
    assert first.owner("heidi", "api_keys", "nobody-key") is None
    assert second.owner("haidy", "patient_groups", "g1") == "acme"
    assert second.owner("esteem", "users", {"name": "Gus", "token": "gus"}) == "world"  # where its data lives
    second.add("delta", {"heidi": {"api_keys": ["beta-key"]}})
    assert first.owner("heidi", "api_keys", "beta-key") == "beta"  # the first tenant given it keeps it


def test_home_is_the_familys_shared_tenant(workers):
    assert workers[0].home("esteem", "acme") == "world" and workers[0].home("haidy", "acme") == "acme"


def test_configured_credentials_need_no_redis_and_others_one_hget(workers, sent):
    first, _ = workers
    assert first.resolve("acme-2") == "acme" and first.owner("heidi", "api_keys", "acme-key") == "acme"
    assert sent == []
    assert first.resolve("stranger") is None and sent == ["HGET"]
    assert first.owner("heidi", "api_keys", "stranger") is None and sent == ["HGET", "HGET"]


def test_a_configured_token_stays_its_configured_tenants(workers):
    """Moving one would cost every request a Redis call; the memory directory would move it."""
    workers[0].add("beta", {"tokens": ["acme-1", "beta-1"]})
    assert workers[1].resolve("acme-1") == "acme" and workers[1].resolve("beta-1") == "beta"


def test_concurrent_additions_to_one_tenant_lose_nothing(workers):
    start = threading.Barrier(8)

    def provision(thread: int):
        start.wait()
        for n in range(10):
            name = f"{thread}-{n}"
            workers[thread % 2].add("acme", {"tokens": [f"t{name}"], "haidy": {"patient_groups": [name]}})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(provision, range(8)))
    groups = workers[0].settings("acme", "haidy")["patient_groups"]
    assert groups[0] == "g1" and sorted(groups[1:]) == sorted(f"{t}-{n}" for t in range(8) for n in range(10))
    assert all(workers[1].resolve(f"t{t}-{n}") == "acme" for t in range(8) for n in range(10))


def test_an_empty_spec_is_accepted(workers):
    workers[0].add("beta", {})
    assert workers[1].settings("beta", "haidy") == {}
