"""Patient-level entities: the structured outputs of many records merged, deduplicated by identity_signature.

Each instantiation carries the `record_id` it was found in, since its span indexes that record's text.
Merging the same record twice adds nothing, so an incremental update is idempotent.
"""

from __future__ import annotations

import copy

from mockserver.clinical.extraction.lexicon import CATEGORIES


class Aggregate:
    def __init__(self) -> None:
        self._lists: dict[str, list[dict]] = {category: [] for category in CATEGORIES}
        self._entities: dict[str, dict] = {}
        self._seen: set[tuple] = set()

    @classmethod
    def of(cls, holistic: dict) -> Aggregate:
        """The aggregate of an existing HolisticPatient: its patient_structured_output, or else its records' outputs."""
        aggregate = cls()
        if holistic.get("patient_structured_output"):
            aggregate.add(None, holistic["patient_structured_output"])
        else:
            for record in holistic.get("clinical_records") or []:
                structured = (record.get("record_structured") or {}).get("structured_output")
                if structured:
                    aggregate.add(record.get("record_id"), structured)
        return aggregate

    def add(self, record_id: str | None, structured: dict) -> None:
        """Merge one structured output; instantiations without a record_id get `record_id`."""
        for category in CATEGORIES:
            for entity in structured.get(category) or []:
                self._merge(category, entity, record_id)

    def output(self) -> dict:
        return copy.deepcopy(self._lists)

    def _merge(self, category: str, entity: dict, record_id: str | None) -> None:
        signature = entity["identity_signature"]
        target = self._entities.get(signature)
        if target is None:
            target = self._entities[signature] = {"identity_signature": signature,
                                                  "identity_fields": copy.deepcopy(entity["identity_fields"]),
                                                  "instantiations": []}
            self._lists[category].append(target)
        for instantiation in entity.get("instantiations") or []:
            owner = instantiation.get("record_id", record_id)
            span = instantiation.get("span") or {}
            key = (signature, owner, span.get("start"), span.get("end"))
            if key in self._seen:
                continue
            self._seen.add(key)
            tagged = {"record_id": owner} if owner is not None else {}
            target["instantiations"].append({**tagged, **copy.deepcopy(instantiation)})
