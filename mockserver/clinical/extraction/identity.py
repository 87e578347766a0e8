"""Identity fields of an entity and their signature.

The signature hashes the identity fields as they read in English, so it is the same whatever
`output_language` the fields are shown in: a German and an English run of one record, or an incremental
update in another language, deduplicate to the same entities.
"""

from __future__ import annotations

import hashlib
import json

from mockserver.clinical.extraction.lexicon import LEXICON

PREFIX = {"medications": "med", "conditions": "cond", "procedures": "proc", "allergies": "allergy",
          "immunizations": "imm", "observations": "obs"}
SIGNATURE_LANGUAGE = "en"


def fields(category: str, concept: str, attributes: dict, language: str) -> dict:
    """{"name", category attributes (dose, frequency, route; value, unit, components), "concept", "codes"?}."""
    result = {"name": LEXICON.name(category, concept, language)}
    if category == "medications":
        result.update(_medication(attributes, language))
    elif category == "observations":
        result.update(_observation(concept, attributes, language))
    result["concept"] = concept
    codes = LEXICON.concept_codes(category, concept)
    if codes:
        result["codes"] = codes
    return result


def signature(category: str, concept: str, attributes: dict) -> str:
    """`<prefix>_<16 hex>`: sha256 of the canonical JSON of the English identity fields."""
    canonical = json.dumps(fields(category, concept, attributes, SIGNATURE_LANGUAGE), sort_keys=True,
                           ensure_ascii=False, separators=(",", ":"))
    return f"{PREFIX[category]}_{hashlib.sha256(canonical.encode()).hexdigest()[:16]}"


def _medication(attributes: dict, language: str) -> dict:
    result = {}
    if "dose" in attributes:
        result["dose"] = attributes["dose"]
    for name, table in (("frequency", "frequencies"), ("route", "routes")):
        if name in attributes:
            result[name] = LEXICON.name(table, attributes[name], language)
    return result


def _observation(concept: str, attributes: dict, language: str) -> dict:
    result = {"value": attributes["value"]}
    if attributes["unit"] is not None:
        result["unit"] = attributes["unit"]
    components = LEXICON.observation(concept).get("components")
    if components:
        result["components"] = [
            {"name": LEXICON.name("observations", part, language), "value": value, "unit": attributes["unit"],
             "concept": part, "codes": LEXICON.concept_codes("observations", part)}
            for part, value in zip(components, attributes["parts"], strict=False)]
    return result
