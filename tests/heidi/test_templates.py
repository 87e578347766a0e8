"""Heidi's shipped templates: the documented ids, well-formed data, and the listing shape derived from sections."""

import json
import re

import pytest

from mockserver.clinical.notes import FILLS, Consultation, write_note
from mockserver.heidi import templates
from mockserver.heidi.templates import consult_note_templates, document_templates, template

SHIPPED = consult_note_templates() + document_templates()


def test_the_documented_templates_are_shipped():
    h_and_p = template("659b8042fe093d6592b41ef7")
    assert (h_and_p.name, h_and_p.category, h_and_p.author_name) == ("H & P", "CONSULT_NOTE_TEMPLATE", "Heidi")
    assert [section.heading for section in h_and_p.note.sections][:3] == [
        "Patient", "Chief complaint", "History of present illness"]
    for documented in ("66455a5f0b0a1c8d018c6896", "5eb7cf5a86d9755df3a6c593"):
        assert template(documented) in document_templates()
    assert 4 <= len(consult_note_templates()) <= 5 and len(document_templates()) == 3
    assert template("000000000000000000000000") is None


def test_ids_are_unique_object_ids_and_fills_are_known():
    ids = [shipped.id for shipped in SHIPPED]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[0-9a-f]{24}", i) for i in ids)
    assert all(fill in FILLS for shipped in SHIPPED for section in shipped.note.sections for fill in section.fills)
    assert {shipped.category for shipped in consult_note_templates()} == {"CONSULT_NOTE_TEMPLATE"}
    assert {shipped.category for shipped in document_templates()} == {"DOCUMENT_TEMPLATE"}


def test_the_listing_shape_is_derived_from_the_sections():
    listed = template("659b8042fe093d6592b41ef7").to_json()
    assert list(listed) == ["id", "name", "structure_template", "template_category", "template_html", "author_name"]
    assert listed["id"] == "659b8042fe093d6592b41ef7" and listed["template_category"] == "CONSULT_NOTE_TEMPLATE"
    assert listed["structure_template"].startswith(
        "## Patient\n\n[Patient name, gender, date of birth]\n\n## Chief complaint\n\n[Reason for visit]\n")
    assert listed["template_html"].startswith("<h2>Patient</h2>\n<p>[Patient name, gender, date of birth]</p>\n")
    assert listed["structure_template"].count("## ") == listed["template_html"].count("<h2>") == 9


def test_every_template_writes_a_note_with_its_headings():
    for shipped in SHIPPED:
        note = write_note(Consultation("Follow-up of asthma. Plan: review in a week."), shipped.note)
        assert [line[3:] for line in note.splitlines() if line.startswith("## ")] == [
            section.heading for section in shipped.note.sections]


def test_a_bad_template_file_fails_at_load(tmp_path):
    entry = {"id": "659b8042fe093d6592b41ef7", "name": "x", "template_category": "CONSULT_NOTE_TEMPLATE",
             "author_name": "Heidi", "sections": [{"heading": "H", "fills": ["gossip"]}]}
    path = tmp_path / "templates.json"
    path.write_text(json.dumps({"templates": [entry, {**entry, "sections": []}]}), encoding="utf-8")
    with pytest.raises(ValueError, match=r"unknown fills \['gossip'\]"):
        templates._load(path)
