"""Streamed answers: a handler returns a `Stream` of JSON objects, and the client gets them one at a time.

Heidi streams a consult note and Ask Heidi's answer as successive `{"data": "..."}` objects and states no framing.
The mock frames them as JSON lines (`application/x-ndjson`, one object per line), which every client written
against the API reads; a client that asks for `text/event-stream` gets the same objects as server-sent events
(`data: {...}` and a blank line), which clients that strip a `data:` prefix read too.

The pieces are made before the first is sent, so what the stream says does not depend on how fast it is read. The
server sends them after the app returned: outside the gate (`core/gate.py`). `Config.stream_piece_ms` paces them (0,
at once, for tests; `serve` sends them at a reading pace). But the server thread that sends a paced stream is held
until its last piece, and a server has few (two by default: more cost every request a third of its speed,
benchmarks/stream_bench.py). So at most `pacing_slots(...)` streams are paced at a time, one fewer than the server's
request threads, and a stream that finds them taken goes out at once: a thread is always left for everyone else.
`finish` runs once the last piece is out (the session's note is saved then); a fault rule may cut the stream after
some pieces (`CUT_KEY`), and then `finish` never runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from flask import Response

from mockserver.core.json_codec import dumps

NDJSON = "application/x-ndjson"
EVENT_STREAM = "text/event-stream"
CUT_KEY = "mockserver.stream_cut"
"""WSGI environ key a fault rule sets to cut a stream: (pieces to send, a function giving the body's end that cuts)."""


_slots: threading.Semaphore | None = None
"""Paced streams allowed at once; None: no limit (in process, where the reader's own thread sends a stream)."""


def pacing_slots(count: int | None) -> None:
    """How many streams the server may pace at once (its request threads less one); None for no limit."""
    global _slots
    _slots = None if count is None else threading.Semaphore(max(0, count))


@dataclass
class Stream:
    pieces: Sequence[object]
    """The JSON values to send, in order."""
    finish: Callable[[], None] | None = None
    """Called once every piece is sent (and not if the stream was cut or the client left)."""


class StreamAnswer(Response):
    """A streamed response; `planned` is every byte it means to send, for the journal."""

    planned: bytes = b""


def answer(stream: Stream, accept: str, pace_seconds: float, cut: tuple | None) -> StreamAnswer:
    """The response that sends `stream`'s pieces framed as `accept` prefers, `pace_seconds` apart."""
    events = EVENT_STREAM in accept and NDJSON not in accept
    framed = [_frame(piece, events) for piece in stream.pieces]
    response = StreamAnswer(_send(framed, stream.finish, pace_seconds, cut), 200,
                            {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
                            mimetype=EVENT_STREAM if events else NDJSON, direct_passthrough=True)
    response.planned = b"".join(framed)
    return response


def _frame(piece: object, events: bool) -> bytes:
    line = dumps(piece)
    return b"data: " + line + b"\n\n" if events else line + b"\n"


def _send(framed: list[bytes], finish: Callable[[], None] | None, pace_seconds: float,
          cut: tuple | None) -> Iterator[bytes]:
    limit = len(framed) if cut is None else min(cut[0], len(framed))
    slots = _slots
    paced = bool(pace_seconds) and (slots is None or slots.acquire(blocking=False))
    try:
        for index, chunk in enumerate(framed[:limit]):
            if index and paced:
                time.sleep(pace_seconds)
            yield chunk
    finally:
        if paced and slots is not None:
            slots.release()
    if cut is not None:
        yield from cut[1]()
        return
    if finish is not None:
        finish()
