"""Writes the recordings shipped in mockserver/clinical/samples/: consult.mp3 and consult.ogg.

The server and its tests read real MP3 and Ogg Vorbis files without an encoder at hand, so they are made once,
here, with soundfile (libsndfile's LAME and libvorbis): three seconds of a quiet 330 Hz tone faded in and out,
mono at 8 kHz, a few KB each. libsndfile gives each Ogg stream a random serial number, so the script sets a
fixed one (and the pages' checksums with it) to write the same bytes every run.

    .venv/bin/python tests/clinical/make_audio_samples.py
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import soundfile

SAMPLES = Path(__file__).resolve().parents[2] / "mockserver" / "clinical" / "samples"
RATE = 8000
SECONDS = 3.0
OGG_SERIAL = 0x0C0A5017
FORMATS = {"consult.mp3": ("MP3", "MPEG_LAYER_III"), "consult.ogg": ("OGG", "VORBIS")}


def tone() -> np.ndarray:
    """A 330 Hz tone at 5% of full scale, faded in and out over 50 ms so it starts and ends in silence."""
    t = np.arange(int(RATE * SECONDS)) / RATE
    fade = np.minimum(1.0, np.minimum(t, SECONDS - t) / 0.05)
    return 0.05 * fade * np.sin(2 * np.pi * 330 * t)


def encode(container: str, codec: str) -> bytes:
    out = io.BytesIO()
    soundfile.write(out, tone(), RATE, format=container, subtype=codec)
    return out.getvalue()


def _crc_table() -> list[int]:
    table = []
    for index in range(256):
        crc = index << 24
        for _ in range(8):
            crc = (crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1
        table.append(crc & 0xFFFFFFFF)
    return table


CRC_TABLE = _crc_table()


def ogg_crc(page: bytes) -> int:
    """Ogg's page checksum: CRC-32 with polynomial 0x04C11DB7, not reflected, over the page with a zeroed CRC."""
    crc = 0
    for byte in page:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ CRC_TABLE[(crc >> 24) ^ byte]
    return crc


def with_serial(ogg: bytes, serial: int) -> bytes:
    """The Ogg stream with every page's serial number set to `serial` and its checksum redone."""
    pages, offset = [], 0
    while offset < len(ogg):
        segments = ogg[offset + 27 : offset + 27 + ogg[offset + 26]]
        end = offset + 27 + len(segments) + sum(segments)
        page = bytearray(ogg[offset:end])
        page[14:18] = serial.to_bytes(4, "little")
        page[22:26] = bytes(4)
        page[22:26] = ogg_crc(page).to_bytes(4, "little")
        pages.append(bytes(page))
        offset = end
    return b"".join(pages)


def samples() -> dict[str, bytes]:
    files = {name: encode(*codec) for name, codec in FORMATS.items()}
    files["consult.ogg"] = with_serial(files["consult.ogg"], OGG_SERIAL)
    return files


def main() -> None:
    SAMPLES.mkdir(exist_ok=True)
    for name, data in samples().items():
        frames, rate = soundfile.read(io.BytesIO(data))  # libogg skips a page whose checksum is wrong
        assert rate == RATE and abs(len(frames) - RATE * SECONDS) < RATE * 0.05, (name, len(frames), rate)
        (SAMPLES / name).write_bytes(data)
        print(f"{SAMPLES / name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
