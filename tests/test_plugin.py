"""The pytest plugin, tested as users meet it: in a separate pytest run (pytester)."""

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
