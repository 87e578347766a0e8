"""`record_fields`, the state export's fast `dataclasses.asdict`: the same dicts, on every record the families keep."""

import dataclasses
from datetime import UTC, datetime

from mockserver import Config, create_app
from mockserver.core.store import record_fields


def records(value, seen=None):
    """Every dataclass instance reachable from `value` (a backend's attributes, their dicts, lists and sets)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    seen.add(id(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from records(item, seen)
    elif isinstance(value, (list, set, tuple)):
        for item in value:
            yield from records(item, seen)
    elif hasattr(value, "__dict__") and not isinstance(value, type) and type(value).__module__.startswith("mockserver"):
        for item in vars(value).values():
            yield from records(item, seen)


def test_the_same_dicts_as_asdict_for_every_record_of_the_demo_data():
    store = create_app(Config(fixtures="demo")).extensions["mockserver"].store
    found = [record for slot in store._backends.values() for record in records(slot[1])]
    kinds = {type(record).__name__ for record in found}
    assert {"PatientContext", "PatientProfile", "Session", "Patient", "Gauge", "User"} <= kinds, kinds
    for record in found:
        assert record_fields(record) == dataclasses.asdict(record), type(record).__name__


def test_containers_are_copies_and_scalars_are_kept():
    @dataclasses.dataclass
    class Record:
        at: datetime
        tags: list
        address: dict

    record = Record(datetime(2024, 1, 2, tzinfo=UTC), ["a"], {"lines": ["1 Main St"]})
    fields = record_fields(record)
    fields["tags"].append("b")
    fields["address"]["lines"].append("Springfield")
    assert record.tags == ["a"] and record.address == {"lines": ["1 Main St"]}
    assert fields["at"] is record.at
