"""The QR code a PIS shows so the doctor can scan it with the Haidy app: its payload and its PNG.

What the real code encodes is not documented ("opaque to the PIS"); the mock encodes the deep link the Haidy app
would open, on the host and path of the web deep link (haidy-patient-contexts.txt), without the user's e-mail and
password, which the signed-in app knows. `payload` is the one place that decides the format.
"""

from __future__ import annotations

import io
import json
from urllib.parse import urlencode

import segno

APP_LINK = "https://haidy.ch/integration"
SCALE = 8
"""Pixels per module: a version-10 code (a payload with metadata) is about 520 px wide."""
BORDER = 4
"""The quiet zone the QR specification asks for, in modules."""


def payload(integration_id: str, unique_id: str, consultation_id: str | None = None,
            metadata: dict | None = None) -> str:
    """The URL the code carries: `integration`, `unique_id`, then `consultation_id` and `metadata` (JSON) when
    given, URL-encoded as the docs' own deep link is built (`urlencode`, `json.dumps(..., ensure_ascii=False)`)."""
    params = {"integration": integration_id, "unique_id": unique_id}
    if consultation_id:
        params["consultation_id"] = consultation_id
    if metadata:
        params["metadata"] = json.dumps(metadata, ensure_ascii=False)
    return f"{APP_LINK}?{urlencode(params)}"


def png(text: str) -> bytes:
    """`text` as a QR code PNG: error correction M (not raised by segno's `boost_error`), never a Micro QR.

    Deterministic: segno picks version and mask from the data alone, and its PNG writer adds no time or
    other varying chunk, so the same text gives the same bytes."""
    code = segno.make_qr(text, error="m", boost_error=False)
    out = io.BytesIO()
    code.save(out, kind="png", scale=SCALE, border=BORDER)
    return out.getvalue()
