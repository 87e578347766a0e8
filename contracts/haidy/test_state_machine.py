"""Haidy patient contexts against a plain Python model, driven by a Hypothesis state machine.

Two tenants (open auth: the tenant is the token), each provisioned with two patient groups through
`POST /_mock/tenants/{tenant}` beside the docs' default group. Creates use random and deliberately
repeated (tenant, group, external_id) triples. After every step the mock and the model agree:

- a duplicate (group, external_id) within a tenant answers 400 `{"detail": "..."}`, anything else
  200 echoing what was sent; the same external_id in another group or tenant is fine;
- a group another tenant owns does not exist for this one (400);
- get by id returns what was created, and 404 for the other tenant (isolation);
- the list endpoint filtered by external_id / patient_group equals the model's filter;
- uploads of small PDF / text files raise `total_files` by what was stored.

Plus a concurrency test: many threads create the same patient at once on a real threaded server;
exactly one wins.
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass

import pytest
import requests
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, precondition, rule

from contracts.support import DOC_GROUP, examples, open_app

TENANTS = ("tenant-alpha-token", "tenant-beta-token")
GROUPS = {t: (f"grp-{t[7:11]}-one", f"grp-{t[7:11]}-two") for t in TENANTS}
"""Provisioned per tenant; the docs' group exists for every tenant besides these."""
ALL_GROUPS = sorted({DOC_GROUP, *GROUPS[TENANTS[0]], *GROUPS[TENANTS[1]]})
ECHOED = ("external_id", "patient_group", "name", "birth_date", "gender")
CTX_ID = re.compile(r"^ctx_[a-z0-9]+$")
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

APP = open_app()

external_ids = st.one_of(
    st.sampled_from(["patient-12345", "patient-67890", "Ä-42"]),  # repeats on purpose
    st.text(min_size=1, max_size=24),
)
optional_fields = st.fixed_dictionaries({}, optional={
    "name": st.none() | st.text(max_size=40),
    "birth_date": st.none() | st.dates().map(lambda d: d.isoformat()),
    "gender": st.sampled_from([None, "male", "female", "other"]),
})
uploads = st.lists(
    st.one_of(
        st.just(("report.pdf", PDF, "application/pdf")),
        st.text(st.characters(codec="utf-8", exclude_characters="\x00", exclude_categories=["Cc", "Cs"]),
                max_size=200).map(lambda t: ("note.txt", f"Note: {t}".encode(), "text/plain")),
    ),
    min_size=1, max_size=3,
)


def auth(tenant: str) -> dict:
    return {"Authorization": f"Bearer {tenant}"}


@dataclass
class Ctx:
    tenant: str
    record: dict
    files: int = 0


class HaidyPatientContexts(RuleBasedStateMachine):
    contexts = Bundle("contexts")

    def __init__(self):
        super().__init__()
        APP.extensions["mockserver"].reset()
        self.client = APP.test_client()
        self.model: dict[str, Ctx] = {}
        self.by_key: dict[tuple[str, str, str], str] = {}

    @initialize()
    def provision(self):
        for tenant in TENANTS:
            resp = self.client.post(
                f"/_mock/tenants/{tenant}", json={"haidy": {"patient_groups": list(GROUPS[tenant])}}
            )
            assert resp.status_code == 200, resp.get_data(as_text=True)
            assert resp.get_json() == {"status": "provisioned"}

    # -- creates -------------------------------------------------------------------------------

    def _create(self, tenant: str, group: str, external_id: str, extra: dict):
        sent = {"external_id": external_id, "patient_group": group, **extra}
        resp = self.client.post("/v2/patient-contexts/", json=sent, headers=auth(tenant))
        body = resp.get_json()
        key = (tenant, group, external_id)
        if group != DOC_GROUP and group not in GROUPS[tenant]:
            event("create: group of another tenant -> 400")
            assert resp.status_code == 400, (resp.status_code, body)
            assert isinstance(body["detail"], str) and "does not exist" in body["detail"]
            return multiple()
        if key in self.by_key:
            event("create: duplicate -> 400")
            assert resp.status_code == 400, (resp.status_code, body)
            assert set(body) == {"detail"} and isinstance(body["detail"], str) and "already exists" in body["detail"]
            return multiple()
        assert resp.status_code == 200, (resp.status_code, body)
        if any(k[2] == external_id for k in self.by_key):
            event("create: external_id reused in another group or tenant -> 200")
        expected = {name: sent.get(name) for name in ECHOED}
        assert {name: body[name] for name in ECHOED} == expected
        assert CTX_ID.match(body["id"]) and body["id"] not in self.model
        assert STAMP.match(body["created_at"]) and body["updated_at"] == body["created_at"]
        assert body["total_files"] == 0
        self.model[body["id"]] = Ctx(tenant, body)
        self.by_key[key] = body["id"]
        return body["id"]

    @rule(target=contexts, tenant=st.sampled_from(TENANTS), group=st.sampled_from(ALL_GROUPS),
          external_id=external_ids, extra=optional_fields)
    def create(self, tenant, group, external_id, extra):
        return self._create(tenant, group, external_id, extra)

    @precondition(lambda self: self.by_key)
    @rule(target=contexts, data=st.data(), extra=optional_fields)
    def create_again(self, data, extra):
        """Repeat an existing external_id: in its own group (400), another group or the other tenant (200)."""
        tenant, group, external_id = data.draw(st.sampled_from(sorted(self.by_key)), label="existing")
        tenant = data.draw(st.sampled_from([tenant, *[t for t in TENANTS if t != tenant]]), label="tenant")
        group = data.draw(st.sampled_from([group, DOC_GROUP, *GROUPS[tenant]]), label="group")
        return self._create(tenant, group, external_id, extra)

    # -- reads ---------------------------------------------------------------------------------

    @rule(ctx_id=contexts)
    def get_own(self, ctx_id):
        ctx = self.model[ctx_id]
        resp = self.client.get(f"/v2/patient-contexts/{ctx_id}", headers=auth(ctx.tenant))
        assert resp.status_code == 200
        self._assert_matches(resp.get_json(), ctx)

    @rule(ctx_id=contexts)
    def get_from_other_tenant(self, ctx_id):
        other = next(t for t in TENANTS if t != self.model[ctx_id].tenant)
        resp = self.client.get(f"/v2/patient-contexts/{ctx_id}", headers=auth(other))
        assert resp.status_code == 404
        assert set(resp.get_json()) == {"detail"} and isinstance(resp.get_json()["detail"], str)

    @rule(tenant=st.sampled_from(TENANTS), data=st.data())
    def list_filtered(self, tenant, data):
        known = sorted({c.record["external_id"] for c in self.model.values()})
        external_id = data.draw(st.none() | (st.sampled_from(known) if known else st.nothing()) | external_ids,
                                label="external_id")
        group = data.draw(st.none() | st.sampled_from(ALL_GROUPS), label="patient_group")
        query = {k: v for k, v in (("external_id", external_id), ("patient_group", group)) if v is not None}
        resp = self.client.get("/v2/patient-contexts/", query_string=query, headers=auth(tenant))
        assert resp.status_code == 200
        got = {item["id"]: item for item in resp.get_json()}
        assert len(got) == len(resp.get_json())
        expected = {i for i, c in self.model.items() if c.tenant == tenant
                    and (external_id is None or c.record["external_id"] == external_id)
                    and (group is None or c.record["patient_group"] == group)}
        assert set(got) == expected
        for ctx_id, item in got.items():
            self._assert_matches(item, self.model[ctx_id])

    # -- files ---------------------------------------------------------------------------------

    @rule(ctx_id=contexts, files=uploads)
    def upload(self, ctx_id, files):
        ctx = self.model[ctx_id]
        form = {"files": [(io.BytesIO(content), name, ctype) for name, content, ctype in files]}
        resp = self.client.post(f"/v2/patient-files/upload/{ctx_id}", data=form, headers=auth(ctx.tenant),
                                content_type="multipart/form-data")
        assert resp.status_code == 200, resp.get_data(as_text=True)
        body = resp.get_json()
        assert body["total_uploaded"] == len(files) and body["total_failed"] == 0 and body["failed_files"] == []
        assert [(f["filename"], f["size"]) for f in body["uploaded_files"]] == [(n, len(c)) for n, c, _ in files]
        assert [f["content_type"] for f in body["uploaded_files"]] == [t for _, _, t in files]
        ctx.files += len(files)

    @rule(ctx_id=contexts)
    def upload_from_other_tenant(self, ctx_id):
        other = next(t for t in TENANTS if t != self.model[ctx_id].tenant)
        resp = self.client.post(f"/v2/patient-files/upload/{ctx_id}", data={"files": [(io.BytesIO(PDF), "x.pdf")]},
                                headers=auth(other), content_type="multipart/form-data")
        assert resp.status_code == 404

    # -- invariants ----------------------------------------------------------------------------

    @invariant()
    def each_tenant_sees_exactly_its_own(self):
        for tenant in TENANTS:
            resp = self.client.get("/v2/patient-contexts/", headers=auth(tenant))
            assert resp.status_code == 200
            assert {c["id"] for c in resp.get_json()} == {i for i, c in self.model.items() if c.tenant == tenant}

    @staticmethod
    def _assert_matches(got: dict, ctx: Ctx) -> None:
        for name in ("id", "created_at", *ECHOED):
            assert got[name] == ctx.record[name], name
        assert got["total_files"] == ctx.files
        assert got["updated_at"] >= got["created_at"]


HaidyPatientContexts.TestCase.settings = settings(
    max_examples=examples(), stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestHaidyPatientContextsFollowTheModel = pytest.mark.slow(HaidyPatientContexts.TestCase)


# -- concurrency ---------------------------------------------------------------------------------

THREADS = 16


def _race(url: str, bodies: list[tuple[str, dict]]) -> list[requests.Response]:
    """Send every (token, body) create at the same moment, one thread each."""
    barrier = threading.Barrier(len(bodies))
    results: list = [None] * len(bodies)

    def worker(i: int, token: str, body: dict) -> None:
        with requests.Session() as session:
            barrier.wait()
            try:
                results[i] = session.post(f"{url}/v2/patient-contexts/", json=body, headers=auth(token), timeout=30)
            except Exception as exc:  # surfaces below as a failed assertion, not a hung thread
                results[i] = exc

    threads = [threading.Thread(target=worker, args=(i, t, b)) for i, (t, b) in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(isinstance(r, requests.Response) for r in results), results
    return results


ROUNDS = 20


def test_concurrent_duplicate_creates_have_exactly_one_winner(mockserver):
    """N threads create the same external_id in the same group on a live threaded server, round after round."""
    for round_ in range(ROUNDS):
        external_id = f"race-{round_}"
        body = {"external_id": external_id, "patient_group": DOC_GROUP, "name": "Race Condition"}
        results = _race(mockserver.url, [("race-token", body)] * THREADS)

        statuses = sorted(r.status_code for r in results)
        assert statuses == [200] + [400] * (THREADS - 1), (round_, statuses)
        winner = next(r.json() for r in results if r.status_code == 200)
        for loser in (r for r in results if r.status_code == 400):
            detail = loser.json()["detail"]  # names the context that won, so the client can retrieve it
            assert isinstance(detail, str) and "already exists" in detail and winner["id"] in detail
        listed = requests.get(f"{mockserver.url}/v2/patient-contexts/", params={"external_id": external_id},
                              headers=auth("race-token"), timeout=10).json()
        assert [c["id"] for c in listed] == [winner["id"]]


def test_concurrent_creates_in_different_groups_and_tenants_all_win(mockserver):
    """The same external_id at once in distinct (tenant, group) pairs: no false duplicates."""
    for tenant in TENANTS:
        resp = requests.post(
            f"{mockserver.url}/_mock/tenants/{tenant}",
            json={"haidy": {"patient_groups": list(GROUPS[tenant])}},
            timeout=10,
        )
        assert resp.status_code == 200
    pairs = [(t, g) for t in TENANTS for g in (DOC_GROUP, *GROUPS[t])]
    results = _race(mockserver.url, [(t, {"external_id": "shared-id", "patient_group": g}) for t, g in pairs])
    assert [r.status_code for r in results] == [200] * len(pairs), [r.text for r in results]
    assert len({r.json()["id"] for r in results}) == len(pairs)
    for tenant in TENANTS:
        listed = requests.get(f"{mockserver.url}/v2/patient-contexts/", params={"external_id": "shared-id"},
                              headers=auth(tenant), timeout=10).json()
        assert sorted(c["patient_group"] for c in listed) == sorted((DOC_GROUP, *GROUPS[tenant]))
