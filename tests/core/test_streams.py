"""Streamed answers (core/streams.py): framing, pacing, and the pacing slots that keep a server thread free."""

from __future__ import annotations

import json
import time

import pytest

from mockserver.core import streams
from mockserver.core.streams import EVENT_STREAM, NDJSON, Stream, answer

PIECES = [{"data": "My "}, {"data": "summary"}, {"data": " of the "}, {"data": "text."}]


@pytest.fixture(autouse=True)
def no_limit():
    yield
    streams.pacing_slots(None)  # as in process, whatever a test set


def read(response) -> tuple[bytes, float]:
    began = time.perf_counter()
    body = b"".join(response.response)
    return body, time.perf_counter() - began


def test_json_lines_unless_the_client_asks_for_events():
    lines, _ = read(answer(Stream(PIECES), "", 0, None))
    assert [json.loads(line) for line in lines.splitlines()] == PIECES
    assert answer(Stream(PIECES), "application/json", 0, None).mimetype == NDJSON
    events = answer(Stream(PIECES), f"{EVENT_STREAM}, */*", 0, None)
    assert events.mimetype == EVENT_STREAM
    body, _ = read(events)
    assert body.decode().split("\n\n")[:-1] == [f"data: {json.dumps(p, separators=(',', ':'))}" for p in PIECES]
    assert events.planned == body  # the journal keeps what was meant to be sent


def test_finish_runs_once_the_last_piece_is_sent_and_not_when_cut():
    finished = []
    body, _ = read(answer(Stream(PIECES, finish=lambda: finished.append(1)), "", 0, None))
    assert finished == [1] and body.count(b"\n") == len(PIECES)

    def cut():
        raise ConnectionAbortedError("cut")
        yield b""

    sent = []
    with pytest.raises(ConnectionAbortedError):
        for chunk in answer(Stream(PIECES, finish=lambda: finished.append(2)), "", 0, (2, cut)).response:
            sent.append(chunk)
    assert len(sent) == 2 and finished == [1]


def test_pieces_are_paced_while_a_slot_is_free_and_sent_at_once_when_none_is():
    streams.pacing_slots(1)
    first = iter(answer(Stream(PIECES), "", 0.05, None).response)
    next(first)  # under way: it holds the one slot
    _, seconds = read(answer(Stream(PIECES), "", 0.05, None))
    assert seconds < 0.05  # no slot left: at once
    rest = list(first)  # the first ends and gives its slot back
    assert len(rest) == len(PIECES) - 1
    _, seconds = read(answer(Stream(PIECES), "", 0.05, None))
    assert seconds >= 0.05 * (len(PIECES) - 1) * 0.9  # paced again


def test_a_stream_its_client_left_gives_its_slot_back():
    streams.pacing_slots(1)
    left = answer(Stream(PIECES), "", 0.05, None).response
    next(left)
    left.close()  # what the server does when the client goes away
    _, seconds = read(answer(Stream(PIECES), "", 0.05, None))
    assert seconds >= 0.05 * (len(PIECES) - 1) * 0.9
