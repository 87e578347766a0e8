"""The contract says what the mock enforces: patterns read alike in ECMA-262 and Python, gauge scales in the schema.

The mock checks a pattern with Python's `re` (the quick check and jsonschema); a client reads the OpenAPI
document's patterns as ECMA-262 regular expressions. `\\s` and `$` mean different things in the two (U+0085,
U+001C-U+001F and U+FEFF are whitespace to one and not the other; Python's `$` also matches before a final
newline), so the schemas spell whitespace out and end with `$(?!\\n)`. Here a reader of each dialect, jsonschema_rs
(ECMA-262) and node when installed, must agree with the mock on every probe.
"""

import json
import shutil
import subprocess

import pytest

from mockserver.core.schemas import SchemaRegistry
from mockserver.esteem.errors import PRESENT
from mockserver.esteem.models import GAUGE_SCALES

REGISTRY = SchemaRegistry.default()
ATTRIBUTES = REGISTRY.schema("esteem/patient-attributes")["properties"]
ME = {"X-User-Token": "your_token_here"}
VALID = {"first_name": "John", "last_name": "Doe", "date_of_birth": "2010-05-15"}

WHITESPACE_SOMEWHERE = ["\u0085", "\u2028", "\u2029", "\u00a0", "\u3000", "\u1680", "\u2007", "\u202f", "\u001c",
                        "\u001f", "\ufeff", "\t", "\u000b", "\n", "\r", " "]
"""Whitespace to ECMA-262, to Python or to both: refused inside an email, blank as a name."""
NOT_WHITESPACE = ["\u180e", "\u200b", "\u2060", "\u0000", "\u00ad", "é"]
"""Whitespace to neither (U+180E was until Unicode 6.3; zero-width characters never were)."""


def email_probes():
    yield from ((f"jo{c}hn@example.com", False) for c in WHITESPACE_SOMEWHERE)
    yield from ((f"john@exam{c}ple.com", False) for c in WHITESPACE_SOMEWHERE)
    yield from ((f"jo{c}hn@example.com", True) for c in NOT_WHITESPACE)
    yield from [("john@example.com", True), ("", True), ("john@example.com\n", False), ("\n", False),
                ("john@example.com\r", False), ("\u0085john@example.com", False), ("john@example.com\u0085", False),
                ("john@@example.com", False), ("john@example", False)]


EMAILS = list(email_probes())
NAMES = [(c * 2, False) for c in WHITESPACE_SOMEWHERE] + [(c, True) for c in NOT_WHITESPACE] + [("\u0085A", True)]
PHONES = [("+1-555-123-4567", True), ("", True), ("+1-555-123-4567\n", False), ("\n", False), ("1", False)]


@pytest.fixture
def client(mockserver_client):
    return mockserver_client


def ecma_readers():
    """Validators that read patterns as ECMA-262: jsonschema_rs (schemathesis brings it), node if installed."""
    readers = []
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - it comes with schemathesis
        pass
    else:
        readers.append(("jsonschema_rs", lambda pattern, texts: [
            jsonschema_rs.is_valid({"type": "string", "pattern": pattern}, text) for text in texts]))
    if shutil.which("node"):
        readers.append(("node", _node))
    if not readers:
        pytest.skip("no ECMA-262 reader installed")
    return readers


def _node(pattern: str, texts: list[str]) -> list[bool]:
    script = "const [p, t] = JSON.parse(require('fs').readFileSync(0, 'utf8'));" \
             "console.log(JSON.stringify(t.map(s => new RegExp(p, 'u').test(s))));"
    out = subprocess.run(["node", "-e", script], input=json.dumps([pattern, texts]), capture_output=True, text=True,
                         check=True, timeout=30)
    return json.loads(out.stdout)


@pytest.mark.parametrize("field, probes", [("email", EMAILS), ("first_name", NAMES), ("last_name", NAMES),
                                           ("phone", PHONES)])
def test_ecma_262_and_python_read_each_pattern_alike(field, probes):
    pattern = ATTRIBUTES[field]["pattern"]
    texts, expected = [t for t, _ in probes], [ok for _, ok in probes]
    validator = REGISTRY.validator("esteem/patient-attributes")
    assert [validator.is_valid({field: text}) for text in texts] == expected  # Python: jsonschema
    assert [REGISTRY.is_valid({field: text}, "esteem/patient-attributes") for text in texts] == expected  # quick check
    for name, reader in ecma_readers():
        assert reader(pattern, texts) == expected, name


@pytest.mark.parametrize("text, ok", EMAILS, ids=[repr(t) for t, _ in EMAILS])
def test_the_mock_takes_an_email_exactly_when_the_contract_does(client, text, ok):
    resp = client.post("/v1/patients", json={"patient": {**VALID, "email": text}}, headers=ME)
    if ok:
        assert resp.status_code == 201 and resp.get_json()["email"] == text
    else:
        assert (resp.status_code, resp.get_json()) == (422, {"errors": {"email": ["is invalid"]}})


@pytest.mark.parametrize("text, ok", NAMES, ids=[repr(t) for t, _ in NAMES])
def test_a_name_of_whitespace_is_blank_to_the_mock_and_the_contract(client, text, ok):
    resp = client.post("/v1/patients", json={"patient": {**VALID, "first_name": text}}, headers=ME)
    assert resp.status_code == 201 if ok else (resp.status_code, resp.get_json()) == (
        422, {"errors": {"first_name": ["can't be blank"]}})


def test_presence_is_one_pattern():
    """Rails' presence, as errors.py recognises it, is the pattern of every required text attribute."""
    assert {ATTRIBUTES[f]["pattern"] for f in ("first_name", "last_name", "date_of_birth")} == {PRESENT}
    assert "\\s" not in json.dumps(ATTRIBUTES) and "\\S" not in json.dumps(ATTRIBUTES)


# -- gauge scales ----------------------------------------------------------------------------------

def test_the_scales_are_the_documented_ones_read_from_the_schema():
    assert GAUGE_SCALES == {"mood": (1, 10), "anxiety": (1, 10), "energy": (1, 10), "sleep_quality": (1, 10),
                            "pain": (0, 10), "medication_adherence": (0, 100), "social_interaction": (1, 10)}


@pytest.mark.parametrize("gauge_type", sorted(GAUGE_SCALES))
def test_the_schema_refuses_a_value_outside_its_types_scale_in_both_forms(gauge_type):
    low, high = GAUGE_SCALES[gauge_type]
    for name in ("esteem/gauge-create", "esteem/gauge-create-wrapped"):
        validator = REGISTRY.validator(name)
        for value, ok in ((low - 1, False), (low, True), (high, True), (high + 1, False)):
            reading = {"gauge_type": gauge_type, "value": value}
            assert validator.is_valid({"gauge": reading}) == ok, (name, reading)
            if name == "esteem/gauge-create":
                assert validator.is_valid(reading) == ok, (name, reading)


def test_an_out_of_scale_value_is_the_rails_422_naming_the_limit(client):
    assert client.post("/v1/patients", json={"patient": VALID}, headers=ME).status_code == 201
    for body in ({"gauge": {"gauge_type": "medication_adherence", "value": 101}},
                 {"gauge_type": "medication_adherence", "value": 101}):
        resp = client.post("/v1/patients/1049/gauges", json=body, headers=ME)
        assert (resp.status_code, resp.get_json()) == (
            422, {"errors": {"value": ["must be less than or equal to 100"]}})
    resp = client.post("/v1/patients/1049/gauges", json={"gauge_type": "pain", "value": -1}, headers=ME)
    assert (resp.status_code, resp.get_json()) == (422, {"errors": {"value": ["must be greater than or equal to 0"]}})
