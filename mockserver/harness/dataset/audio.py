"""Short synthetic recordings: WAV files of voiced-sounding buzz, not speech.

The mock never listens to audio; a recording "transcribes" to the text registered for its SHA-256
(Haidy's transcript registry). What matters is that each recording is a valid WAV that differs from every
other, comes out the same from the same seed, and stays small. Integer arithmetic only, so the bytes are the
same on every platform.
"""

from __future__ import annotations

import io
import random
import wave

RATE = 8000
"""Samples per second: telephone quality, 8-bit mono, 8 KB a second."""


def recording(rng: random.Random, seconds: float = 1.5) -> bytes:
    """Syllables (square waves at a voice's pitch, faded in and out) and pauses, about `seconds` long."""
    samples = bytearray()
    while len(samples) < seconds * RATE:
        period, length = rng.randrange(40, 80), rng.randrange(800, 2400)  # 100-200 Hz, 0.1-0.3 s
        for i in range(length):
            level = 40 * min(i, length - i, 400) // 400
            samples.append(128 + level if i % period < period // 2 else 128 - level)
        samples += b"\x80" * rng.randrange(200, 1200)
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(RATE)
        wav.writeframes(bytes(samples))
    return out.getvalue()
