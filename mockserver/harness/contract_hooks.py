"""Schemathesis hooks of the contract runs (`mockserver contract`, contracts/): how to read a streamed answer.

Heidi streams its consult note and Ask Heidi's answer as JSON lines (or server-sent events on request), and the
OpenAPI document describes such a stream as the array of its lines (`heidi/stream`). Schemathesis validates only
bodies it can deserialize; with these it checks every line of a stream against the schema.
"""

from __future__ import annotations

import json

import schemathesis

NDJSON = "application/x-ndjson"
EVENT_STREAM = "text/event-stream"


@schemathesis.deserializer(NDJSON)
def json_lines(ctx, response) -> list:
    """Each non-blank line is one JSON value."""
    return [json.loads(line) for line in response.content.decode("utf-8").splitlines() if line.strip()]


@schemathesis.deserializer(EVENT_STREAM)
def event_data(ctx, response) -> list:
    """Each event's `data:` lines, joined, are one JSON value."""
    events = response.content.decode("utf-8").replace("\r\n", "\n").split("\n\n")
    return [json.loads("\n".join(line[5:].lstrip() for line in event.splitlines() if line.startswith("data:")))
            for event in events if any(line.startswith("data:") for line in event.splitlines())]
