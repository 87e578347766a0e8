"""A fault rule's `drop`: "reset" (the default, `true`), a TCP reset before any byte, and "cut", a status line,
headers and part of the body before the connection closes. On a real port under granian and waitress (the
servers of `mockserver serve`) and werkzeug's (the plugin's `mockserver`), and in process (the test client)."""

from __future__ import annotations

import collections
import json
import logging
import socket
import sys
import threading
import time

import pytest
import requests

from mockserver.control import drops
from mockserver.control.faults import FaultRule
from tests.support import AUTH, ROOT, Served, split_banner

PATH = "/v2/patient-contexts/"
REQUEST = f"GET {PATH} HTTP/1.1\r\nHost: mock\r\nAuthorization: Bearer test-token\r\n\r\n".encode()
RESET_LINE = "mockserver.faults fault rule {}: connection reset before any byte (GET /v2/patient-contexts/)"
CUT_LINE = ("mockserver.faults fault rule {}: connection cut mid-body: status line, headers and 2 of 1024 body "
            "bytes (GET /v2/patient-contexts/)")


def exchange(port: int) -> tuple[bytes, OSError | None]:
    """One GET of PATH on a new connection: every byte received until the connection ended, and the error
    that ended it (None: an end of file)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(REQUEST)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError as reset:
            return received, reset
    return received, None


def assert_reset(received: bytes, ended: OSError | None) -> None:
    assert received == b""
    if sys.platform.startswith("linux"):
        assert isinstance(ended, ConnectionResetError)  # a RST; elsewhere an end of file will do


def assert_cut(received: bytes, ended: OSError | None) -> None:
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    assert status_line == "HTTP/1.1 200 OK"
    assert headers["content-length"] == "1024" and headers["content-type"] == "application/json"
    assert body == drops.CUT_BODY  # 2 of the 1024 bytes promised, then the connection ended


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


# The schema, the rule and the admin API


def test_the_schema_states_the_modes_and_the_default_the_code_has():
    drop = json.loads((ROOT / "schemas" / "mock" / "fault-rule.json").read_text())["properties"]["drop"]
    # a boolean or a mode, as two members: generators cannot read one enum that mixes value types
    assert drop["anyOf"] == [{"type": "boolean"}, {"enum": list(drops.MODES)}] and drop["default"] is False
    assert f'"{drops.DEFAULT_MODE}", the default mode (true means it)' in drop["description"]
    assert f"promising {drops.PROMISED_LENGTH} bytes" in drop["description"]
    assert f"{len(drops.CUT_BODY)} bytes of a JSON body" in drop["description"]


def test_the_admin_document_takes_drop_from_the_schema(client):
    drop = json.loads((ROOT / "schemas" / "mock" / "fault-rule.json").read_text())["properties"]["drop"]
    document = client.get("/_mock/openapi.json").get_json()
    assert document["components"]["schemas"]["MockFaultRule"]["properties"]["drop"] == drop


def test_true_means_the_default_mode_and_other_values_are_refused():
    assert FaultRule(drop=True).drop == drops.DEFAULT_MODE == "reset"
    assert FaultRule(drop="cut").drop == "cut"
    assert FaultRule(status=503).drop is False
    for wrong in ("sideways", "RESET", 1, None):
        with pytest.raises(ValueError, match="drop must be true, false or one of 'reset', 'cut'"):
            FaultRule(drop=wrong)


def test_the_admin_api_takes_the_mode_and_lists_it(client):
    for sent, kept in ((True, "reset"), ("reset", "reset"), ("cut", "cut")):
        added = client.post("/_mock/faults", json={"path": PATH, "drop": sent})
        assert added.status_code == 201 and added.get_json()["drop"] == kept
    assert [rule["drop"] for rule in client.get("/_mock/faults").get_json()] == ["reset", "reset", "cut"]


@pytest.mark.parametrize("wrong", ["sideways", "RESET", 1, None, []])
def test_the_admin_api_refuses_other_values_in_its_error_shape(client, wrong):
    refused = client.post("/_mock/faults", json={"path": PATH, "drop": wrong})
    assert refused.status_code == 422
    [problem] = refused.get_json()["detail"]
    assert problem["loc"] == ["body", "drop"] and problem["type"] == "type_error.enum"
    assert problem["ctx"] == {"enum_values": ["reset", "cut"], "types": ["boolean"]}
    assert problem["msg"] == "value is not permitted; expected a boolean or one of 'reset', 'cut'"
    assert client.get("/_mock/faults").get_json() == []


def test_drop_false_alone_does_nothing_and_is_refused(client):
    refused = client.post("/_mock/faults", json={"path": PATH, "drop": False})
    assert refused.status_code == 400
    assert refused.get_json() == {
        "detail": "a fault rule needs a status, latency, retry_after, drop, cut_stream_after or task_error"}


# In process: no connection, so the exceptions come out of the test client


def test_in_process_a_reset_raises_out_of_the_call_and_a_cut_out_of_the_body(client, caplog):
    caplog.set_level(logging.INFO)
    assert client.post("/_mock/faults", json={"path": PATH, "drop": True}).status_code == 201
    with pytest.raises(ConnectionResetError, match="fault-1: connection dropped on purpose"):
        client.get(PATH, headers=AUTH)
    assert client.post("/_mock/faults", json={"path": PATH, "drop": "cut"}).status_code == 201
    cut = client.get(PATH, headers=AUTH)
    assert cut.status_code == 200 and cut.headers["Content-Length"] == "1024"
    with pytest.raises(ConnectionAbortedError, match="fault-2: connection dropped on purpose"):
        cut.get_data()
    assert client.get(PATH, headers=AUTH).status_code == 200
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO] == [
        ("mockserver.faults", logging.INFO, "fault rule fault-1: connection reset before any byte "
                                            "(GET /v2/patient-contexts/): in process, with no connection, as the "
                                            "ConnectionResetError the call raises"),
        ("mockserver.faults", logging.INFO, CUT_LINE.split(" ", 1)[1].format("fault-2")),
    ]


def test_in_process_a_head_request_is_reset_too(client):
    assert client.post("/_mock/faults", json={"path": PATH, "drop": "reset"}).status_code == 201
    with pytest.raises(ConnectionResetError):
        client.head(PATH, headers=AUTH)


# On a real port


@pytest.mark.parametrize("server", ["granian", "waitress"])
def test_each_mode_does_what_it_says_and_logs_one_info_line(server):
    served = Served("--server", server, "--no-access-log")
    try:
        with requests.Session() as admin:  # its connection stays open, idle: the reset must find the request's
            for mode in ("reset", "cut", True):
                admin.post(f"{served.url}/_mock/faults", json={"path": PATH, "method": "GET", "drop": mode},
                           timeout=10).raise_for_status()
                received, ended = exchange(served.port)
                (assert_cut if mode == "cut" else assert_reset)(received, ended)
                assert requests.get(f"{served.url}{PATH}", headers=AUTH, timeout=10).json() == []
            # the journal's order is that of the answers' ends: a reset request may end after the next one, and
            # its entry is written when the server's thread has finished with it, which may be after the client
            # saw the reset and went on (waitress, on a busy machine): wait for all six, a few seconds at most
            deadline = time.monotonic() + 5
            while True:
                journal = admin.get(f"{served.url}/_mock/requests", params={"method": "GET"}, timeout=10).json()
                if len(journal) >= 6 or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            assert collections.Counter(entry["fault"] for entry in journal) == {
                "fault-1": 1, "fault-2": 1, "fault-3": 1, None: 3}
    finally:
        code, output = served.stop()
    (banner, *_), lines = split_banner(output)
    assert code == 0 and banner.startswith("mockserver on "), output[-3000:]
    # one info line each, and nothing else: no traceback, no error, no warning, from the mock or the server
    assert [line.split(" ", 2)[2] for line in lines] == [
        RESET_LINE.format("fault-1"), CUT_LINE.format("fault-2"), RESET_LINE.format("fault-3")]


@pytest.mark.parametrize("server", ["granian", "waitress"])
def test_resets_hit_the_requests_connection_among_concurrent_ones(server):
    """Clients with keep-alive connections, each asking for an answer and for a drop in turn: every drop is a
    reset of the connection that asked for it, and every other request is answered."""
    clients, rounds = 4, 5
    served = Served("--server", server, "--no-access-log")
    outcomes = collections.Counter()

    def client():
        with requests.Session() as session:
            for _ in range(rounds):
                outcomes[session.get(f"{served.url}{PATH}", headers=AUTH, timeout=10).status_code] += 1
                try:
                    session.get(f"{served.url}{PATH}", headers={**AUTH, "X-Drop": "yes"}, timeout=10)
                    outcomes["answered"] += 1
                except requests.ConnectionError as error:
                    outcomes["reset" if "Connection reset by peer" in str(error) else repr(error)] += 1

    try:
        requests.post(f"{served.url}/_mock/faults", json={
            "path": PATH, "method": "GET", "headers": {"X-Drop": "yes"}, "drop": "reset", "times": None,
        }, timeout=10).raise_for_status()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        code, output = served.stop()
    assert outcomes == {200: clients * rounds, "reset": clients * rounds}
    (banner, *_), lines = split_banner(output)
    assert code == 0, output[-3000:]
    # waitress warns when requests wait for one of its 2 threads: the 4 clients' doing, not the drops'
    lines = [line for line in lines if " waitress.queue Task queue depth is " not in line]
    assert [line.split(" ", 2)[2] for line in lines] == [RESET_LINE.format("fault-1")] * (clients * rounds)


def test_where_granian_cannot_single_out_the_connection_the_rule_cuts_and_warns():
    """Granian does not tell the client's port, and a HEAD answer has no body to find the connection by."""
    served = Served("--no-access-log")
    try:
        requests.post(f"{served.url}/_mock/faults", json={"path": PATH, "method": "HEAD", "drop": "reset"},
                      timeout=10).raise_for_status()
        with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
            sock.sendall(REQUEST.replace(b"GET ", b"HEAD ", 1))
            received = b""
            while not received.endswith(b"\r\n\r\n"):
                received += sock.recv(65536)
        assert received.startswith(b"HTTP/1.1 200 OK\r\n") and b"content-length: 1024\r\n" in received
        assert requests.get(f"{served.url}{PATH}", headers=AUTH, timeout=10).status_code == 200
    finally:
        code, output = served.stop()
    (banner, *_), lines = split_banner(output)
    assert [line.split(" ", 2)[2] for line in lines] == [
        "mockserver.faults fault rule fault-1: connection not reset (Granian does not tell the client's port, and "
        "a HEAD answer has no body to single out its connection by): the status line and headers answer it "
        "(HEAD /v2/patient-contexts/)"]


@pytest.mark.parametrize("mode", ["reset", "cut"])
def test_werkzeugs_server_drops_quietly_too(mockserver, mode, caplog, capfd):
    caplog.set_level(logging.INFO)
    rule = mockserver.fault(path=PATH, method="GET", drop=mode)
    received, ended = exchange(port_of(mockserver.url))
    (assert_cut if mode == "cut" else assert_reset)(received, ended)
    assert requests.get(f"{mockserver.url}{PATH}", headers=AUTH, timeout=10).status_code == 200
    line = (CUT_LINE if mode == "cut" else RESET_LINE).format(rule.id).split(" ", 1)[1]
    assert [r.getMessage() for r in caplog.records if r.name.startswith("mockserver")] == [line]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "Traceback" not in capfd.readouterr().err  # werkzeug's server prints its handlers' errors there


@pytest.mark.parametrize("where", ["thread", "granian"])
@pytest.mark.parametrize("mode", ["reset", "cut"])
def test_what_requests_raises(mockserver, served, where, mode):
    base = mockserver.url if where == "thread" else served.url
    requests.post(f"{base}/_mock/faults", json={"path": PATH, "method": "GET", "drop": mode}).raise_for_status()
    if mode == "reset":
        with pytest.raises(requests.ConnectionError, match="Connection reset by peer"):
            requests.get(f"{base}{PATH}", headers=AUTH, timeout=10)
    else:
        with pytest.raises(requests.exceptions.ChunkedEncodingError, match=r"IncompleteRead\(2 bytes read"):
            requests.get(f"{base}{PATH}", headers=AUTH, timeout=10)
    assert requests.get(f"{base}{PATH}", headers=AUTH, timeout=10).status_code == 200


# The servers' own reports of an intended drop


def test_the_filter_silences_only_the_servers_reports_of_intended_drops():
    kept = []

    class Keep(logging.Handler):
        def emit(self, record):
            kept.append(record.getMessage())

    granian, waitress = logging.getLogger("_granian"), logging.getLogger("waitress")
    granian_handler, waitress_handler = Keep(), Keep()
    granian.addHandler(granian_handler)
    waitress.addHandler(waitress_handler)
    try:
        drops.quiet_server_logs()
        for error in (drops.IntendedReset(f"fault-1: {drops.ON_PURPOSE}"), ValueError("a bug")):
            try:
                raise error
            except Exception:
                waitress.exception("Exception while serving /v2/x")
        # granian formats the traceback and the exception into the message, on a child logger of _granian
        logging.getLogger("_granian.utils").error(
            "Application callable raised an exception\nTraceback (most recent call last):\n  ...\n"
            f"IntendedCut: fault-2: {drops.ON_PURPOSE}")
        logging.getLogger("_granian.utils").error("Application callable raised an exception\n...\nValueError: bug")
    finally:
        granian.removeHandler(granian_handler)
        waitress.removeHandler(waitress_handler)
    assert kept == ["Exception while serving /v2/x", "Application callable raised an exception\n...\nValueError: bug"]
