"""The access log's hand-off: request threads append, one writer thread writes; nothing lost or reordered."""

import io
import threading
import time

from mockserver.core.access_log import AccessLog


def test_lines_from_many_threads_all_arrive_in_each_threads_order():
    stream = io.StringIO()
    log = AccessLog(stream, interval=0.001)

    def requests(thread: int):
        for n in range(500):
            log.write("GET", f"/t{thread}/{n}", 200, 0.1)

    threads = [threading.Thread(target=requests, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    deadline = time.monotonic() + 5
    while stream.getvalue().count("\n") < 4000 and time.monotonic() < deadline:
        time.sleep(0.01)
    paths = [line.split()[3] for line in stream.getvalue().splitlines()]
    assert len(paths) == 4000
    for t in range(8):
        assert [p for p in paths if p.startswith(f"/t{t}/")] == [f"/t{t}/{n}" for n in range(500)]


def test_flush_writes_what_is_pending_at_once():
    stream = io.StringIO()
    log = AccessLog(stream, interval=3600)  # the writer thread will not wake during this test
    log.write("POST", "/v2/patient-contexts/", 201, 1.25)
    assert stream.getvalue() == ""
    log.flush()
    assert stream.getvalue().endswith(" POST /v2/patient-contexts/ 201 1.2ms\n")
