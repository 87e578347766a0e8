"""mockserver.clinical.audio: the format by content, the duration from the headers, and a clear AudioError for
anything else.

WAV files are made here with the standard library, MP3, Ogg (Vorbis, Opus) and FLAC files with soundfile
(libsndfile's encoders). No encoder at hand writes MP4, so M4A/MP4 files are laid out here box by box as
encoders write them (ftyp, moov, mdat): mutagen reads the boxes and never the AAC frames, which are
placeholders. `mockserver/haidy/analyst/samples/consultation.m4a` is, by its bytes, a WAV, and reads as one.
"""

from __future__ import annotations

import io
import random
import re
import struct
import time
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.clinical.audio import Audio, AudioError, BrokenAudio, NotAudio, read_audio

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "mockserver" / "clinical" / "samples"
HAIDY_M4A = ROOT / "mockserver" / "haidy" / "analyst" / "samples" / "consultation.m4a"
TOLERANCE = 0.05
"""Seconds an encoded file's duration may differ from what was encoded (encoder delay and padding)."""


def wav(rate: int, frames: int, channels: int = 1, width: int = 2) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(bytes(frames * channels * width))
    return out.getvalue()


def encoded(container: str, codec: str, rate: int, seconds: float, **options) -> bytes:
    t = np.arange(round(rate * seconds)) / rate
    out = io.BytesIO()
    soundfile.write(out, 0.1 * np.sin(2 * np.pi * 440 * t), rate, format=container, subtype=codec, **options)
    return out.getvalue()


def box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def full_box(kind: bytes, *parts: bytes) -> bytes:
    """A box whose body starts with a version (0) and flags (0)."""
    return box(kind, bytes(4), *parts)


IDENTITY = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
FRAME = bytes.fromhex("211004608c1c")
"""One AAC frame's worth of placeholder bytes."""


def mp4(seconds: float, brand: bytes = b"M4A ", moov_first: bool = False, handler: bytes = b"soun",
        fragmented: bool = False) -> bytes:
    """An AAC-LC mono 8 kHz MP4 of `seconds` whose track's time scale is its sample rate, as encoders write it;
    `fragmented` is a browser's recording: an empty index, then the frames in movie fragments."""
    rate = 8000
    frames = 0 if fragmented else -(-round(seconds * rate) // 1024)
    duration = 0 if fragmented else round(seconds * rate)
    ftyp = box(b"ftyp", brand, bytes(4), brand, b"isom")

    def moov(first_frame_at: int) -> bytes:
        mvhd = full_box(b"mvhd", struct.pack(">4I", 0, 0, rate, duration), struct.pack(">IH10x", 0x10000, 0x100),
                        IDENTITY, bytes(24), struct.pack(">I", 2))
        tkhd = box(b"tkhd", struct.pack(">I5I", 7, 0, 0, 1, 0, duration), bytes(8), struct.pack(">4H", 0, 0, 0x100, 0),
                   IDENTITY, bytes(8))
        mdhd = full_box(b"mdhd", struct.pack(">4I2H", 0, 0, rate, duration, 0x55C4, 0))
        hdlr = full_box(b"hdlr", bytes(4), handler, bytes(12), b"SoundHandler\x00")
        audio_config = bytes.fromhex("1588")  # AAC-LC, 8000 Hz, one channel
        esds = full_box(b"esds", bytes.fromhex("0319000100") + bytes.fromhex("0411401500000000003e8000003e80")
                        + b"\x05\x02" + audio_config + bytes.fromhex("060102"))
        mp4a = box(b"mp4a", bytes(6), struct.pack(">H8x4H", 1, 1, 16, 0, 0), struct.pack(">I", rate << 16), esds)
        stbl = box(b"stbl", full_box(b"stsd", struct.pack(">I", 1), mp4a),
                   full_box(b"stts", struct.pack(">3I", 1, frames, 1024) if frames else struct.pack(">I", 0)),
                   full_box(b"stsc", struct.pack(">4I", 1, 1, frames, 1) if frames else struct.pack(">I", 0)),
                   full_box(b"stsz", struct.pack(">2I", len(FRAME), frames)),
                   full_box(b"stco", struct.pack(">2I", 1, first_frame_at) if frames else struct.pack(">I", 0)))
        dinf = box(b"dinf", full_box(b"dref", struct.pack(">I", 1), box(b"url ", b"\x00\x00\x00\x01")))
        minf = box(b"minf", full_box(b"smhd", bytes(4)), dinf, stbl)
        trak = box(b"trak", tkhd, box(b"mdia", mdhd, hdlr, minf))
        mvex = box(b"mvex", full_box(b"trex", struct.pack(">5I", 1, 1, 1024, len(FRAME), 0))) if fragmented else b""
        return box(b"moov", mvhd, trak, mvex)

    if fragmented:
        moof = box(b"moof", full_box(b"mfhd", struct.pack(">I", 1)),
                   box(b"traf", full_box(b"tfhd", struct.pack(">I", 1)), full_box(b"trun", struct.pack(">I", 8))))
        return ftyp + moov(0) + moof + box(b"mdat", FRAME * 8)
    mdat = box(b"mdat", FRAME * frames)
    if moov_first:
        return ftyp + moov(len(ftyp) + len(moov(0)) + 8) + mdat
    return ftyp + mdat + moov(len(ftyp) + 8)


def webm(doctype: bytes = b"webm") -> bytes:
    """An EBML header naming `doctype`, then a segment of unknown size (as a live recording is written)."""
    header = b"\x42\x86\x81\x01" + b"\x42\x82" + bytes([0x80 | len(doctype)]) + doctype
    segment = b"\x18\x53\x80\x67" + b"\x01" + b"\xff" * 7 + b"\x15\x49\xa9\x66\x80"  # unknown size, then an empty Info
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(header)]) + header + segment


def outcome(data: bytes) -> Audio | AudioError:
    try:
        return read_audio(data)
    except AudioError as error:
        return error


# --- what reads ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("rate", "frames", "channels", "width"), [
    (8000, 8000, 1, 2), (16000, 20000, 1, 2), (44100, 132300, 2, 2), (22050, 11025, 1, 1), (48000, 7, 2, 3),
])
def test_wav_duration_is_exact(rate, frames, channels, width):
    audio = read_audio(wav(rate, frames, channels, width))
    assert audio == Audio("wav", "audio/wav", round(frames / rate, 3))


def test_recordings_without_frames_last_zero_seconds():
    assert read_audio(wav(8000, 0)).duration == 0.0
    assert read_audio(encoded("OGG", "VORBIS", 8000, 0)) == Audio("ogg", "audio/ogg", 0.0)


@pytest.mark.parametrize(("container", "codec", "rate", "seconds", "audio_format", "media_type"), [
    ("MP3", "MPEG_LAYER_III", 8000, 1.5, "mp3", "audio/mpeg"),
    ("MP3", "MPEG_LAYER_III", 22050, 2.0, "mp3", "audio/mpeg"),
    ("MP3", "MPEG_LAYER_III", 44100, 0.75, "mp3", "audio/mpeg"),
    ("OGG", "VORBIS", 8000, 2.5, "ogg", "audio/ogg"),
    ("OGG", "VORBIS", 44100, 1.0, "ogg", "audio/ogg"),
    ("OGG", "OPUS", 48000, 1.0, "ogg", "audio/ogg"),
    ("OGG", "OPUS", 16000, 2.0, "ogg", "audio/ogg"),
    ("FLAC", "PCM_16", 8000, 3.0, "flac", "audio/flac"),
    ("FLAC", "PCM_24", 44100, 0.5, "flac", "audio/flac"),
])
def test_encoded_duration_is_within_the_encoder_padding(container, codec, rate, seconds, audio_format, media_type):
    audio = read_audio(encoded(container, codec, rate, seconds))
    assert (audio.format, audio.media_type) == (audio_format, media_type)
    assert abs(audio.duration - seconds) <= TOLERANCE


@pytest.mark.parametrize("name", ["consult.mp3", "consult.ogg"])
def test_shipped_samples_are_three_second_recordings(name):
    data = (SAMPLES / name).read_bytes()
    audio = read_audio(data)
    assert audio.format == name.rsplit(".", 1)[1]
    assert abs(audio.duration - 3.0) <= TOLERANCE
    assert len(data) < 30_000


def test_the_haidy_consultation_sample_is_a_wav_whatever_its_name():
    assert read_audio(HAIDY_M4A.read_bytes()) == Audio("wav", "audio/wav", 1.213)


@pytest.mark.parametrize(("brand", "audio_format"), [(b"M4A ", "m4a"), (b"M4B ", "m4a"), (b"isom", "mp4"),
                                                     (b"mp42", "mp4")])
@pytest.mark.parametrize("moov_first", [False, True])
def test_mp4_duration_is_its_audio_track_duration(brand, audio_format, moov_first):
    audio = read_audio(mp4(2.5, brand=brand, moov_first=moov_first))
    assert audio == Audio(audio_format, "audio/mp4", 2.5)


def test_a_fragmented_mp4_states_no_duration():
    assert read_audio(mp4(0, fragmented=True)) == Audio("m4a", "audio/mp4", None)


def test_webm_is_audio_without_a_duration():
    assert read_audio(webm()).to_json() == {"format": "webm", "media_type": "audio/webm", "duration": None}


def test_flac_that_counts_no_samples_has_no_duration_unless_it_has_no_frames():
    data = bytearray(encoded("FLAC", "PCM_16", 8000, 1.0))
    data[21] &= 0xF0  # STREAMINFO's 36-bit sample count: the low nibble of byte 21, then bytes 22-25
    data[22:26] = bytes(4)
    assert read_audio(bytes(data)).duration is None
    assert read_audio(metadata_only(bytes(data))).duration == 0.0


def metadata_only(flac: bytes) -> bytes:
    """The FLAC file cut where its first frame starts (frames start with the sync code 0xFFF8)."""
    return flac[: flac.index(b"\xff\xf8")]


def test_an_id3_tag_before_flac_is_skipped():
    id3 = b"ID3\x04\x00\x00\x00\x00\x00\x0a" + bytes(10)
    audio = read_audio(id3 + encoded("FLAC", "PCM_16", 8000, 1.0))
    assert (audio.format, audio.duration) == ("flac", 1.0)


# --- what is not audio --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "message"), [
    (b"", "the file is empty"),
    (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "not audio"),
    (b"Patient reports a dry cough for three days.\n", "not audio"),
    (bytes([0x42]) + random.Random(7).randbytes(4095), "not audio"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17), "not audio"),
    (b"RIFF\x24\x00\x00\x00AVI LIST", "not audio"),
    (b"\xff\xf1\x50\x80\x02\x1f\xfc", "not audio"),  # ADTS AAC: a frame sync, but not MPEG audio's
    (webm(b"matroska"), "not WebM"),
    (mp4(1.0, handler=b"vide"), "no audio track"),
])
def test_not_audio_is_said_in_one_line(data, message):
    with pytest.raises(NotAudio, match=message) as raised:
        read_audio(data)
    assert "\n" not in str(raised.value)


# --- what is broken -----------------------------------------------------------------------------------------


def recordings() -> dict[str, bytes]:
    return {
        "wav": wav(8000, 8000),
        "mp3": encoded("MP3", "MPEG_LAYER_III", 8000, 1.0),
        "ogg vorbis": encoded("OGG", "VORBIS", 8000, 1.0),
        "ogg opus": encoded("OGG", "OPUS", 48000, 1.0),
        "m4a": mp4(1.0),
        "m4a moov first": mp4(1.0, moov_first=True),
        "consult.mp3": (SAMPLES / "consult.mp3").read_bytes(),
        "consult.ogg": (SAMPLES / "consult.ogg").read_bytes(),
    }


MAGIC_LENGTHS = {"wav": 12, "mp3": 3, "ogg": 4, "m4a": 8}
"""The bytes that say a file is of the format (RIFF....WAVE, a frame header, OggS, ....ftyp): a shorter cut is
not audio yet."""


@pytest.mark.parametrize("name", list(recordings()))
def test_every_cut_of_a_recording_is_broken_audio(name):
    """Each of these files says how much of it there is (a WAV data chunk's size, an MP3's Xing header, an
    Ogg stream's last page, the MP4 boxes' sizes), so every cut is told from a shorter recording."""
    data = recordings()[name]
    magic = MAGIC_LENGTHS[name.rsplit(".", 1)[-1].split()[0]]
    for cut in range(1, len(data)):
        with pytest.raises(NotAudio if cut < magic else BrokenAudio) as raised:
            read_audio(data[:cut])
        assert "\n" not in str(raised.value), cut


def test_broken_messages_say_the_format_and_what_is_wrong():
    ogg = (SAMPLES / "consult.ogg").read_bytes()
    last_page = ogg.rindex(b"OggS")
    cases = {
        "truncated WAV: its data chunk declares 16000 bytes of samples, 56 are present": wav(8000, 8000)[:100],
        "truncated WAV: the file ends before its data chunk": wav(8000, 8000)[:40],
        "broken MP3: its headers do not parse (can't sync to MPEG frame)": b"ID3\x04\x00\x00\x00\x00\x00\x00",
        "truncated MP3: its Xing header counts": encoded("MP3", "MPEG_LAYER_III", 8000, 1.0)[:1000],
        "truncated Ogg: its last page does not end the stream": ogg[:last_page],
        "truncated Ogg: the file ends inside a page": ogg[:-1],
        "broken Ogg: its last page has no granule position":
            ogg[: last_page + 6] + b"\xff" * 8 + ogg[last_page + 14 :],
        "truncated FLAC: its STREAMINFO counts 8000 samples, but no audio frame follows the metadata":
            metadata_only(encoded("FLAC", "PCM_16", 8000, 1.0)),
        "truncated M4A: its 'mdat' box declares": mp4(10.0, moov_first=True)[:-100],
        "broken M4A: it has no 'moov' box": mp4(1.0)[: mp4(1.0).index(b"moov") - 4],
        "truncated WebM: its segment is empty": webm()[:-5],
        "truncated M4A: it has no 'mdat' box": mp4(1.0, moov_first=True)[: -len(box(b"mdat", FRAME * 8))],
    }
    for message, data in cases.items():
        with pytest.raises(BrokenAudio, match=re.escape(message)):
            read_audio(data)


def test_webm_cut_in_its_header_is_broken_and_in_its_segment_is_audio():
    """A live recording's segment states no size, so a WebM cut inside it is as whole as one stopped there."""
    data = webm()
    segment_at = data.index(b"\x18\x53\x80\x67")
    for cut in range(4, len(data)):
        if cut <= segment_at + 12:
            with pytest.raises(BrokenAudio, match="WebM"):
                read_audio(data[:cut])
        else:
            assert read_audio(data[:cut]).duration is None


def test_an_mp3_without_a_xing_header_cut_between_frames_is_shorter():
    """A constant-bitrate MP3 with no Xing header counts no frames: a cut file is a valid, shorter one."""
    data = encoded("MP3", "MPEG_LAYER_III", 8000, 2.0, bitrate_mode="CONSTANT", compression_level=0.5)
    frame = 288  # MPEG 2.5 layer III at 32 kbit/s and 8 kHz: 576 samples in 288 bytes
    assert data[frame + 4 : frame + 36].find(b"Info") == -1 and data[:4] == data[frame : frame + 4]
    without_xing = data[frame:]  # the first frame holds the Info header and no audio
    full = read_audio(without_xing).duration
    assert 2.0 <= full <= 2.2  # with no Info header to say so, the encoder's delay and padding count as audio
    half = read_audio(without_xing[: len(without_xing) // 2 // frame * frame]).duration
    assert 0 < half < full and abs(half - full / 2) <= 0.1


def test_large_recordings_are_read_from_their_headers_only():
    """The work does not grow with the length: 16 MB files read in a blink."""
    size = 16 * 1024 * 1024
    large_wav = wav(8000, 0)[:40] + struct.pack("<I", size) + bytes(size)
    large_m4a = mp4(1.0, moov_first=True) + struct.pack(">I4s", 8 + size, b"free") + bytes(size)
    large = [large_wav, large_m4a, b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(size), bytes([0x42]) + bytes(size)]
    started = time.perf_counter()
    for data in large:
        outcome(data)
    assert time.perf_counter() - started < 1.0
    assert read_audio(large_wav).duration == round(size / 2 / 8000, 3)


# --- anything in, an Audio or an AudioError out -------------------------------------------------------------

MAGICS = [b"RIFF\x00\x00\x00\x00WAVE", b"ID3", b"\xff\xfb\x90\xc4", b"OggS", b"fLaC", b"\x1a\x45\xdf\xa3",
          b"\x00\x00\x00\x18ftypM4A ", b"\x00\x00\x00\x18ftypisom"]


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2048), st.tuples(st.sampled_from(MAGICS), st.binary(max_size=2048)).map(b"".join)))
def test_any_bytes_give_audio_or_an_audio_error(data):
    assert isinstance(outcome(data), Audio | AudioError)


VALID = recordings()


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(VALID)), st.data())
def test_mutated_recordings_give_audio_or_an_audio_error(name, draw):
    data = bytearray(VALID[name])
    header = min(len(data), 256)  # most of what is read is there; the rest is in the last page or box
    for _ in range(draw.draw(st.integers(1, 8), label="mutations")):
        at = draw.draw(st.one_of(st.integers(0, header - 1), st.integers(0, len(data) - 1)), label="at")
        data[at] = draw.draw(st.integers(0, 255), label="byte")
    result = outcome(bytes(data))
    assert isinstance(result, Audio | AudioError)
    if isinstance(result, AudioError):
        assert str(result) and "\n" not in str(result)
