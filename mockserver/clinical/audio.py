"""What an uploaded recording is, judged by its bytes, and how long it lasts.

The format comes from the content's magic bytes, never from a file name or a declared type. The duration is
mutagen's, read from the container's headers: no sample is decoded, so the work does not grow with the length
of the recording. mutagen believes what a header claims, so the cuts it would not notice are checked here
first: a WAV data chunk or an MP4 box longer than the bytes present, an MP4 without its 'mdat' box, an MP3
whose Xing header counts more bytes than present, an Ogg stream whose last page does not end it, a FLAC file
with no audio frame after its metadata. A FLAC file cut among its frames still reads as its STREAMINFO says,
as telling needs decoding.

WebM is audio without a duration (None): mutagen does not read it, and browsers' recordings rarely state one.
An MP4 is "m4a" when its brand says so (`M4A `, `M4B `, `M4P `), "mp4" otherwise; both are `audio/mp4`.
"""

from __future__ import annotations

import io
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from mutagen import MutagenError
from mutagen.flac import FLAC
from mutagen.mp3 import MPEGInfo
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

MEDIA_TYPES = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "m4a": "audio/mp4",
    "mp4": "audio/mp4",
    "webm": "audio/webm",
    "flac": "audio/flac",
}
_NAMES = {"wav": "WAV", "mp3": "MP3", "ogg": "Ogg", "m4a": "M4A", "mp4": "MP4", "webm": "WebM", "flac": "FLAC"}
_SUPPORTED = "WAV, MP3, Ogg (Vorbis or Opus), FLAC, M4A/MP4 or WebM"

_M4A_BRANDS = (b"M4A ", b"M4B ", b"M4P ")
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_EBML_DOCTYPE = b"\x42\x82"
_WEBM_SEGMENT = b"\x18\x53\x80\x67"
_OGG_CODECS = {b"\x01vorbis": OggVorbis, b"OpusHead": OggOpus}
_OGG_MAX_PAGE = 27 + 255 + 255 * 255
"""The largest an Ogg page can be: its header, a full segment table and 255 full segments."""
_OGG_NO_POSITION = -1
"""The granule position of a page on which no packet ends."""

_PARSE_ERRORS = (MutagenError, OSError, EOFError, struct.error, ValueError, IndexError, KeyError, OverflowError)
"""What mutagen or a header read here raises on bytes that are not what they claim to be."""


class AudioError(ValueError):
    """Why bytes are not a usable recording; str(error) is a clear one-line message for an API client."""


class NotAudio(AudioError):
    """The content is not audio at all: empty, a document, text, an image or random bytes."""


class BrokenAudio(AudioError):
    """The content starts like audio but is truncated, corrupt or unreadable; the message says which format
    and what is wrong."""


@dataclass(frozen=True)
class Audio:
    format: str
    media_type: str
    duration: float | None
    """Seconds, rounded to milliseconds; None where the file states none: WebM, an MP4 made of fragments, a FLAC
    stream whose STREAMINFO counts no samples but which has frames."""

    def to_json(self) -> dict:
        return {"format": self.format, "media_type": self.media_type, "duration": self.duration}


def read_audio(data: bytes) -> Audio:
    """The recording's format and duration; raises NotAudio or BrokenAudio (never anything else) when the bytes
    are not a usable recording."""
    if not data:
        raise NotAudio("the file is empty")
    audio_format = _detect_format(data)
    if audio_format is None:
        raise NotAudio(f"not audio: the content is none of {_SUPPORTED}")
    name = _NAMES[audio_format]
    try:
        seconds = _READERS[audio_format](data, name)
    except AudioError:  # a check here said what is wrong already
        raise
    except _PARSE_ERRORS as exc:
        detail = " ".join(str(exc).strip('"').split()) or type(exc).__name__
        raise BrokenAudio(f"broken {name}: its headers do not parse ({detail})") from None
    if seconds is not None:
        if not math.isfinite(seconds) or seconds < 0:
            raise BrokenAudio(f"broken {name}: its header gives a duration of {seconds} seconds")
        seconds = round(seconds, 3)
    return Audio(audio_format, MEDIA_TYPES[audio_format], seconds)


def _detect_format(data: bytes) -> str | None:
    """The audio format the magic bytes name, or None."""
    after_id3 = _skip_id3(data)
    if after_id3:  # ID3 tags lead MP3 files, and sometimes FLAC ones
        return "flac" if data[after_id3 : after_id3 + 4] == b"fLaC" else "mp3"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:4] == b"OggS":
        return "ogg"
    if data[:4] == b"fLaC":
        return "flac"
    if data[:4] == _EBML_MAGIC:
        return "webm"
    if data[4:8] == b"ftyp":
        return "m4a" if data[8:12] in _M4A_BRANDS else "mp4"
    if _is_mpeg_audio_header(data[:3]):
        return "mp3"
    return None


def _skip_id3(data: bytes) -> int:
    """Where the data after the leading ID3v2 tags starts (some writers stack several); 0 if there are none."""
    offset = 0
    while data[offset : offset + 3] == b"ID3":
        header = data[offset : offset + 10]
        if len(header) < 10:
            return len(data)
        size = (header[6] & 0x7F) << 21 | (header[7] & 0x7F) << 14 | (header[8] & 0x7F) << 7 | header[9] & 0x7F
        offset += 10 + size + (10 if header[5] & 0x10 else 0)  # flag 0x10: a footer follows the tag
    return offset


def _is_mpeg_audio_header(head: bytes) -> bool:
    """A frame sync with a version, layer, bitrate and sample rate MPEG audio allows (not ADTS AAC)."""
    if len(head) < 3 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = head[1] >> 3 & 3, head[1] >> 1 & 3
    bitrate, sample_rate = head[2] >> 4, head[2] >> 2 & 3
    return version != 1 and layer != 0 and bitrate not in (0, 15) and sample_rate != 3


def _wav_seconds(data: bytes, name: str) -> float:
    declared, present = _wav_data_sizes(data)
    if declared > present:
        raise BrokenAudio(f"truncated {name}: its data chunk declares {declared} bytes of samples, "
                          f"{present} are present")
    return WAVE(io.BytesIO(data)).info.length


def _wav_data_sizes(data: bytes) -> tuple[int, int]:
    """The bytes of samples the data chunk declares, and how many follow its header."""
    offset = 12
    while offset + 8 <= len(data):
        chunk_id, size = struct.unpack_from("<4sI", data, offset)
        if chunk_id == b"data":
            return size, len(data) - offset - 8
        offset += 8 + size + (size & 1)  # chunks are padded to an even length
    raise BrokenAudio("truncated WAV: the file ends before its data chunk")


def _mp3_seconds(data: bytes, name: str) -> float:
    info = MPEGInfo(io.BytesIO(data))
    if info.sketchy:
        raise BrokenAudio(f"broken {name}: fewer than four MPEG audio frames in a row, and no Xing header")
    counted, present = _xing_stream_bytes(data, info.frame_offset), len(data) - info.frame_offset
    if counted is not None and counted > present:
        raise BrokenAudio(f"truncated {name}: its Xing header counts {counted} bytes of frames, {present} are present")
    return info.length


def _xing_stream_bytes(data: bytes, frame_offset: int) -> int | None:
    """The stream's length in bytes as the Xing (VBR) or Info (CBR) header in its first frame counts it, or None
    where there is no such count. The header follows the 4-byte frame header and up to 32 bytes of side info."""
    window = data[frame_offset + 4 : frame_offset + 4 + 36 + 16]
    at = max(window.find(b"Xing", 0, 36), window.find(b"Info", 0, 36))
    if at < 0:
        return None
    if len(window) < at + 16:
        raise BrokenAudio("truncated MP3: the file ends inside its Xing header")
    (flags,) = struct.unpack_from(">I", window, at + 4)
    if not flags & 2:  # bit 0: a frame count comes first; bit 1: the byte count
        return None
    return struct.unpack_from(">I", window, at + 8 + (4 if flags & 1 else 0))[0]


class _OggPage(NamedTuple):
    body: int
    end: int
    ends_stream: bool
    serial: int
    position: int
    """The granule position: samples (Vorbis) or 48 kHz ticks (Opus) up to the page's last finished packet."""


def _ogg_seconds(data: bytes, name: str) -> float:
    first = _ogg_page_at(data, 0)
    if first is None:
        raise BrokenAudio(f"truncated {name}: the file ends inside its first page")
    packet = data[first.body : min(first.body + 8, first.end)]
    reader = next((cls for magic, cls in _OGG_CODECS.items() if packet.startswith(magic)), None)
    if reader is None:
        raise BrokenAudio(f"broken {name}: its first packet starts neither a Vorbis nor an Opus stream")
    last = _last_ogg_page(data)
    if last is None:
        raise BrokenAudio(f"truncated {name}: the file ends inside a page")
    if not last.ends_stream:
        raise BrokenAudio(f"truncated {name}: its last page does not end the stream")
    if last.serial != first.serial:
        raise BrokenAudio(f"broken {name}: its last page belongs to another stream (multiplexed Ogg is not read)")
    if last.position == _OGG_NO_POSITION:
        raise BrokenAudio(f"broken {name}: its last page has no granule position, so no duration")
    return reader(io.BytesIO(data)).info.length


def _ogg_page_at(data: bytes, start: int) -> _OggPage | None:
    """The Ogg page whose header starts at `start`, or None if the data ends before the page does."""
    segments_at = start + 27
    if segments_at > len(data):
        return None
    header_type, count = data[start + 5], data[start + 26]
    position, serial = struct.unpack_from("<qI", data, start + 6)
    lacing = data[segments_at : segments_at + count]
    body = segments_at + count
    end = body + sum(lacing)
    if len(lacing) < count or end > len(data):
        return None
    return _OggPage(body, end, bool(header_type & 0x04), serial, position)


def _last_ogg_page(data: bytes) -> _OggPage | None:
    """The page that ends where the data ends (found in the last page's worth of bytes), or None."""
    window_start = max(0, len(data) - _OGG_MAX_PAGE)
    at = data.rfind(b"OggS", window_start)
    while at >= 0:
        page = _ogg_page_at(data, at)
        if page is not None and page.end == len(data):
            return page
        at = data.rfind(b"OggS", window_start, at + 3)
    return None


def _flac_seconds(data: bytes, name: str) -> float | None:
    """STREAMINFO's duration; None where it counts no samples but frames follow (a stream written without
    knowing its length)."""
    audio_at = _flac_audio_offset(data, name)
    info = FLAC(io.BytesIO(data)).info
    has_frames = data[audio_at : audio_at + 1] == b"\xff" and data[audio_at + 1 : audio_at + 2] in (b"\xf8", b"\xf9")
    if info.total_samples == 0:
        return None if has_frames else 0.0
    if not has_frames:
        raise BrokenAudio(f"truncated {name}: its STREAMINFO counts {info.total_samples} samples, but no audio frame "
                          "follows the metadata")
    return info.length


def _flac_audio_offset(data: bytes, name: str) -> int:
    """Where the frames start: after `fLaC` and the metadata blocks, the last of which has its top bit set."""
    offset = _skip_id3(data) + 4
    while True:
        header = data[offset : offset + 4]
        if len(header) < 4:
            raise BrokenAudio(f"truncated {name}: the file ends inside its metadata")
        offset += 4 + int.from_bytes(header[1:], "big")
        if header[0] & 0x80:
            break
    if offset > len(data):
        raise BrokenAudio(f"truncated {name}: the file ends inside its metadata")
    return offset


def _mp4_seconds(data: bytes, name: str) -> float | None:
    """The audio track's duration; None for a fragmented MP4 (a browser's recording) that states none."""
    boxes = _mp4_top_level_boxes(data, name)
    if b"moov" not in boxes:
        raise BrokenAudio(f"broken {name}: it has no 'moov' box, the index of its tracks")
    if b"mdat" not in boxes:
        raise BrokenAudio(f"truncated {name}: it has no 'mdat' box, where its audio is")
    info = MP4(io.BytesIO(data)).info
    if not info.codec:
        raise NotAudio(f"not audio: an {name} file with no audio track")
    if info.length == 0 and b"moof" in boxes:
        return None
    return info.length


def _mp4_top_level_boxes(data: bytes, name: str) -> set[bytes]:
    """The types of the boxes the file is made of, each checked to fit in the bytes present."""
    kinds, offset = set(), 0
    while offset < len(data):
        if offset + 8 > len(data):
            raise BrokenAudio(f"truncated {name}: the file ends inside a box header")
        size, kind = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1:  # a 64-bit size follows the type
            if offset + 16 > len(data):
                raise BrokenAudio(f"truncated {name}: the file ends inside a box header")
            (size,), header = struct.unpack_from(">Q", data, offset + 8), 16
        elif size == 0:  # the box runs to the end of the file
            size = len(data) - offset
        if size < header:
            raise BrokenAudio(f"broken {name}: its '{_fourcc(kind)}' box declares a size of {size} bytes")
        if offset + size > len(data):
            raise BrokenAudio(f"truncated {name}: its '{_fourcc(kind)}' box declares {size} bytes, "
                              f"{len(data) - offset} are present")
        kinds.add(kind)
        offset += size
    return kinds


def _fourcc(kind: bytes) -> str:
    return "".join(chr(c) if 32 <= c < 127 else "?" for c in kind)


def _webm_seconds(data: bytes, name: str) -> None:
    """Checks the EBML header says WebM and a segment follows it; the duration is not read."""
    size, body = _ebml_size(data, 4, name)
    end = body + size
    if end > len(data):
        raise BrokenAudio(f"truncated {name}: the file ends inside its EBML header")
    header = data[body:end]
    at = header.find(_EBML_DOCTYPE)
    if at < 0:
        raise BrokenAudio(f"broken {name}: its EBML header names no document type")
    doctype_size, doctype_at = _ebml_size(header, at + 2, name)
    doctype = header[doctype_at : doctype_at + doctype_size]
    if doctype != b"webm":
        raise NotAudio(f"not audio: an EBML document of type {_fourcc(doctype)!r}, not WebM")
    if data[end : end + 4] != _WEBM_SEGMENT:
        raise BrokenAudio(f"truncated {name}: no segment follows its header")
    segment_size, segment_at = _ebml_size(data, end + 4, name)
    if segment_at >= len(data):
        raise BrokenAudio(f"truncated {name}: its segment is empty")
    unknown_size = segment_size == (1 << 7 * (segment_at - end - 4)) - 1  # all ones: a live recording's segment
    if not unknown_size and segment_at + segment_size > len(data):
        raise BrokenAudio(f"truncated {name}: its segment declares {segment_size} bytes, "
                          f"{len(data) - segment_at} are present")
    return None


def _ebml_size(data: bytes, offset: int, name: str) -> tuple[int, int]:
    """An EBML variable-length size at `offset` (its leading zero bits say how many more bytes it has), and
    where the data it sizes starts."""
    first = data[offset : offset + 1]
    if not first or first == b"\x00":
        raise BrokenAudio(f"broken {name}: no valid element size at byte {offset}")
    length = 9 - first[0].bit_length()
    raw = data[offset : offset + length]
    if len(raw) < length:
        raise BrokenAudio(f"truncated {name}: the file ends inside an element size")
    return int.from_bytes(raw, "big") & ((1 << 7 * length) - 1), offset + length


_READERS: dict[str, Callable[[bytes, str], float | None]] = {
    "wav": _wav_seconds,
    "mp3": _mp3_seconds,
    "ogg": _ogg_seconds,
    "flac": _flac_seconds,
    "m4a": _mp4_seconds,
    "mp4": _mp4_seconds,
    "webm": _webm_seconds,
}
"""The duration in seconds from each format's reader, which raises AudioError or a parse error."""
