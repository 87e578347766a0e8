"""The request path's JSON: orjson where it answers as the json module would, the json module where not."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.core.json_codec import dumps, loads

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_what_it_writes_the_json_module_reads_back_as_the_same_value(value):
    assert json.loads(dumps(value)) == value


@given(JSON_VALUES)
def test_it_reads_what_the_json_module_writes_as_the_json_module_does(value):
    text = json.dumps(value)
    assert loads(text) == json.loads(text)


def test_output_is_compact_utf8_as_fastapi_sends_it():
    assert dumps({"name": "Zoë", "n": [1, 2]}) == '{"name":"Zoë","n":[1,2]}'.encode()


@pytest.mark.parametrize("text", ["[12345678901234567890123]", "[-9223372036854775809]", '{"n": 99999999999999999999}'])
def test_integers_past_64_bits_stay_exact(text):
    value = loads(text)
    assert value == json.loads(text)
    assert type(next(iter(value.values())) if isinstance(value, dict) else value[0]) is int


def test_integers_past_64_bits_are_written_exactly():
    assert dumps([2**70, -(2**70)]) == f"[{2**70},{-(2**70)}]".encode()


def test_a_lone_surrogate_escape_is_read_as_the_json_module_reads_it():
    assert loads('["\\ud800"]') == ["\ud800"]


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}'])
def test_nan_and_infinity_are_refused(text):
    with pytest.raises(ValueError, match="is not valid JSON"):
        loads(text)


def test_a_broken_text_gets_the_json_modules_error_with_its_position():
    with pytest.raises(json.JSONDecodeError) as caught:
        loads('{"a": 1,}')
    assert (caught.value.pos, caught.value.msg) == (8, "Expecting property name enclosed in double quotes")


def test_what_json_cannot_write_still_fails_as_it_did():
    with pytest.raises(TypeError):
        dumps({"at": datetime(2024, 1, 1, tzinfo=UTC)})
    with pytest.raises(TypeError):
        dumps({"raw": b"bytes"})


def test_non_string_keys_are_written_as_the_json_module_writes_them():
    keys = {1: "a", None: "b"}
    assert dumps(keys) == json.dumps(keys, separators=(",", ":")).encode() == b'{"1":"a","null":"b"}'
