"""The pytest plugin, tested as users meet it: in a separate pytest run (pytester)."""

import json

pytest_plugins = ["pytester"]


def test_fixtures_serve_and_isolate_tests(pytester):
    pytester.makepyfile(
        """
        import requests

        AUTH = {"Authorization": "Bearer plugin"}
        BODY = {"external_id": "same-id", "patient_group": "sqmcrfbv6fx4g04"}

        def test_first(mockserver):
            r = requests.post(mockserver.url + "/v2/patient-contexts/", json=BODY, headers=AUTH)
            assert r.status_code == 200

        def test_second_sees_none_of_it(mockserver):
            assert requests.get(mockserver.url + "/v2/patient-contexts/", headers=AUTH).json() == []
            r = requests.post(mockserver.url + "/v2/patient-contexts/", json=BODY, headers=AUTH)
            assert r.status_code == 200

        def test_client_shares_state_with_the_url(mockserver, mockserver_client):
            requests.post(mockserver.url + "/v2/patient-contexts/", json=BODY, headers=AUTH)
            listed = mockserver_client.get("/v2/patient-contexts/", headers=AUTH).get_json()
            assert [c["external_id"] for c in listed] == ["same-id"]
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_same_server_for_the_whole_session(pytester):
    pytester.makepyfile(
        """
        urls = []

        def test_a(mockserver):
            urls.append(mockserver.url)

        def test_b(mockserver):
            urls.append(mockserver.url)
            assert urls[0] == urls[1] and urls[0].startswith("http://127.0.0.1:")
        """
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=2)


STATE = {"tenants": {"seeded": {"haidy": {
    "patient_groups": ["sqmcrfbv6fx4g04"], "integrations": [], "files": [],
    "patient_contexts": [{"id": "ctx_seeded000001", "external_id": "s-1", "patient_group": "sqmcrfbv6fx4g04",
                          "name": "Seeded", "birth_date": None, "gender": None, "file_ids": [],
                          "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"}]}}}}


def test_marker_gives_one_test_its_own_configured_mock(pytester):
    pytester.makepyfile(
        """
        import json
        from datetime import datetime, timezone

        import pytest
        import requests

        STATE = json.loads(STATE_JSON)

        @pytest.mark.mockserver(state=STATE, frozen_at=datetime(2031, 1, 1, tzinfo=timezone.utc))
        def test_seeded_and_frozen(mockserver, mockserver_session):
            assert mockserver is not mockserver_session
            got = requests.get(mockserver.url + "/v2/patient-contexts/ctx_seeded000001",
                               headers={"Authorization": "Bearer seeded"})
            assert got.json()["name"] == "Seeded"
            assert requests.get(mockserver.url + "/_mock/clock").json()["now"] == "2031-01-01T00:00:00Z"

        @pytest.mark.mockserver(auth="strict", tenants_file="PLACEHOLDER")
        def test_strict_marker(mockserver):
            r = requests.get(mockserver.url + "/v2/patient-contexts/", headers={"Authorization": "Bearer nobody"})
            assert r.status_code == 401
            assert requests.get(mockserver.url + "/_mock/faults").status_code == 401
            mockserver.fault(path="/v2/*", status=503)  # the in-process helpers need no token
            faults = requests.get(mockserver.url + "/_mock/faults", headers=mockserver.admin_headers)
            assert faults.status_code == 200 and len(faults.json()) == 1
            mockserver.reset()

        def test_haidy_session_is_ready(haidy_session, mockserver):
            created = haidy_session.post("/v2/patient-contexts/",
                                         json={"external_id": "x", "patient_group": "sqmcrfbv6fx4g04"})
            assert created.status_code == 200
            mockserver.journal.assert_called("POST", "/v2/patient-contexts/", times=1)
            assert mockserver.admin_headers == {}  # open auth: the admin API needs none
            demo = {"Authorization": "Bearer demo-token"}
            assert haidy_session.get("/v2/patient-contexts/?external_id=demo-patient-1", headers=demo).json() == []

        @pytest.mark.mockserver(fixtures="demo")
        def test_a_data_set_and_reset_returns_to_it(mockserver):
            url = mockserver.url + "/v2/patient-contexts/?external_id=demo-patient-1"
            assert requests.get(url, headers={"Authorization": "Bearer demo-token"}).json()[0]["total_files"] == 3
            mockserver.reset()
            assert len(requests.get(url, headers={"Authorization": "Bearer demo-token"}).json()) == 1

        @pytest.mark.mockserver(state="STATE_FILE")
        def test_a_state_file_and_reset_returns_to_it(mockserver):
            url = mockserver.url + "/v2/patient-contexts/ctx_seeded000001"
            requests.post(mockserver.url + "/_mock/reset")
            assert requests.get(url, headers={"Authorization": "Bearer seeded"}).json()["name"] == "Seeded"

        @pytest.mark.mockserver(state={"tenants": {"t": {"haidy": {"patient_contexts": [{"birth_date": 5}]}}}})
        def test_a_bad_state_is_refused(mockserver):
            pass
        """.replace("PLACEHOLDER", str(pytester.path / "strict.json"))
        .replace("STATE_FILE", str(pytester.path / "state.json"))
        .replace("STATE_JSON", repr(json.dumps(STATE)))
    )
    (pytester.path / "strict.json").write_text('{"tenants": {"acme": {"tokens": ["acme-key"]}}}')
    (pytester.path / "state.json").write_text(json.dumps(STATE))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=5, errors=1)
    result.stdout.fnmatch_lines(["*the marker's state does not match its schema*birth_date*"])


def test_marker_can_start_heidi_users_without_the_docs_examples(pytester):
    pytester.makepyfile(
        """
        import pytest
        import requests

        HEIDI = "/api/v2/ml-scribe/open-api"

        def profiles(url):
            token = requests.get(url + HEIDI + "/jwt", headers={"Heidi-Api-Key": "k"},
                                 params={"email": "a@example.com", "third_party_internal_id": "a"}).json()["token"]
            answer = requests.get(url + HEIDI + "/patient-profiles", headers={"Authorization": f"Bearer {token}"})
            return [p["id"] for p in answer.json()["data"]]

        @pytest.mark.mockserver(heidi_doc_examples=False)
        def test_clean_slate(mockserver):
            assert profiles(mockserver.url) == []
            mockserver.reset()
            assert profiles(mockserver.url) == []

        def test_the_default_has_the_docs_examples(mockserver):
            assert profiles(mockserver.url) == ["5eb7cf5a86d9755df3a6c593"]
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_parallel_workers_each_get_their_own_mock(pytester):
    pytester.makepyfile(
        """
        import os
        import pytest
        import requests

        @pytest.mark.parametrize("n", range(6))
        def test_isolated(haidy_session, mockserver, n):
            assert haidy_session.get("/v2/patient-contexts/").json() == []
            body = {"external_id": "same", "patient_group": "sqmcrfbv6fx4g04"}
            assert haidy_session.post("/v2/patient-contexts/", json=body).status_code == 200
            assert os.environ["PYTEST_XDIST_WORKER"] in ("gw0", "gw1")
        """
    )
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)


def test_coverage_option_reports_exercised_and_missing_statuses(pytester):
    pytester.makepyfile(
        """
        def test_create_twice(haidy_session):
            body = {"external_id": "c", "patient_group": "sqmcrfbv6fx4g04"}
            haidy_session.post("/v2/patient-contexts/", json=body)
            haidy_session.post("/v2/patient-contexts/", json=body)

        def test_missing(haidy_session):
            haidy_session.get("/v2/patient-contexts/ctx_nope")
        """
    )
    result = pytester.runpytest_subprocess("--mockserver-coverage", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.re_match_lines([
        r".*mockserver coverage: 3/\d+ documented \(operation, status\) pairs exercised",
        r".*POST\s+/v2/patient-contexts/\s+200x1, 400x1\s+missing 401, 413, 422",
        r".*GET\s+/v2/patient-contexts/\{patient_context_id\}\s+404x1\s+missing 200, 401",
        r".*POST\s+/v2/patient-files/upload/\{patient_context_id\}\s+-\s+never called",
    ], consecutive=False)


def test_family_sessions_are_ready_to_use(pytester):
    pytester.makepyfile(
        """
        def test_heidi(heidi_session, mockserver):
            created = heidi_session.post("/patient-profiles", json={"first_name": "John", "last_name": "Doe"})
            assert created.status_code == 200, created.text
            assert heidi_session.get("/patient-profiles").json()["data"][0]["first_name"] == "John"
            assert mockserver.journal.find(path="/api/v2/ml-scribe/open-api/patient-profiles")

        def test_esteem(esteem_session):
            body = {"patient": {"first_name": "Jane", "last_name": "Roe", "date_of_birth": "1990-05-15"}}
            created = esteem_session.post("/v1/patients", json=body)
            assert created.status_code == 201, created.text
            assert esteem_session.get(f"/v1/patients/{created.json()['id']}").json()["first_name"] == "Jane"
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
