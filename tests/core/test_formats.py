"""The `email` format is read as JSON Schema validators built on jsonschema-rs read it (schemathesis's negative
tests among them), by the validator and the quick check alike, and on a real request."""

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.core.schemas import SchemaRegistry

SCHEMAS = SchemaRegistry.default()
ADDRESSES = ["dr.smith@example.com", "a@b", '"a b"@example.com', "a\x01@example.com", "useratexample.com",
             "a b@example.com", "a@@example.com", "@example.com", "a@", "dr.smith@example.com\n"]


@pytest.mark.parametrize("address", ADDRESSES)
def test_email_agrees_with_jsonschema_rs(address):
    schema = {"type": "object", "properties": {"email": {"type": "string", "format": "email"}}}
    expected = jsonschema_rs.validator_for(schema, validate_formats=True).is_valid({"email": address})
    registry = SchemaRegistry(extra={"t/email": {"title": "EmailOnly", **schema}})
    assert registry.is_valid({"email": address}, "t/email") is expected
    assert (registry.errors("t/email", {"email": address}) == []) is expected
    assert SCHEMAS.is_valid({"email": address, "third_party_internal_id": "u1"}, "heidi/jwt-query") is expected


def test_a_control_character_in_an_email_is_refused_on_the_wire(client):
    """The case a schemathesis run found: the mock took it, the contract said it was invalid."""
    refused = client.get("/jwt", query_string={"email": "dr\x01smith@example.com", "third_party_internal_id": "u1"},
                         headers={"Heidi-Api-Key": "test-api-key"})
    assert refused.status_code == 422, refused.get_json()
    accepted = client.get("/jwt", query_string={"email": "dr.smith@example.com", "third_party_internal_id": "u1"},
                          headers={"Heidi-Api-Key": "test-api-key"})
    assert accepted.status_code == 200


@pytest.mark.parametrize("address", ["0@A.XN--3HCRJ9C", "a@b.XN--P1AI", "Dr.Smith@Example.COM"])
def test_a_domain_is_read_case_insensitively(address):
    """jsonschema-rs refuses an upper-case IDN label (`XN--`) that it accepts lower-cased; a domain has no case,
    and hypothesis's emails() (schemathesis's valid emails, the state machines') writes such labels."""
    assert SCHEMAS.is_valid({"email": address, "third_party_internal_id": "u1"}, "heidi/jwt-query")


@settings(max_examples=300, deadline=None)
@given(st.emails())
def test_every_address_hypothesis_calls_an_email_is_one(address):
    assert SCHEMAS.is_valid({"email": address, "third_party_internal_id": "u1"}, "heidi/jwt-query")
