"""The schema registry: JSON Schema 2020-12 files under `schemas/`, loaded and compiled once.

Every file is `schemas/<family>/<name>.json`, known by the name `<family>/<name>`, and carries a
unique `title` that becomes its OpenAPI component name. A schema may reference only another file,
by relative path: all of it (`"$ref": "error.json"`) or a part (`"$ref": "patient.json#/properties/id"`,
so a shape is written once even where a whole entity does not fit), and the same file works for
validation here and in the OpenAPI document: a whole file as `#/components/schemas/<Title>`, a part
copied in place, as generators resolve references to whole components only.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from urllib.parse import urljoin

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mockserver.core.data_files import data_dir
from mockserver.core.errors import FieldError
from mockserver.core.formats import FORMAT_CHECKER
from mockserver.core.quickcheck import Check, compile_check
from mockserver.core.validation import field_errors

_BASE = "https://mockserver.invalid/schemas/"


class SchemaRegistry:
    """All schemas of one directory, each compiled into a validator at most once."""

    def __init__(self, root: Path | None = None, extra: dict[str, dict] | None = None, *,
                 checked: frozenset[str] = frozenset()):
        """The files under `root` plus `extra` schemas by name (a family's own, or ones built from the
        registry of families such as `mock/state`); a name in both is a ValueError. Schemas named in
        `checked` passed the checks in another registry already (titles are still held unique)."""
        self._raw: dict[str, dict] = {}
        for path in sorted(root.rglob("*.json")) if root else ():
            name = path.relative_to(root).with_suffix("").as_posix()
            self._raw[name] = json.loads(path.read_text(encoding="utf-8"))
        clash = sorted(set(self._raw) & set(extra or {}))
        if clash:
            raise ValueError(f"schemas {', '.join(clash)} are both files and given")
        self._raw.update(extra or {})
        self._check(checked)
        self._registry = Registry().with_resources(
            (self._uri(n), Resource(contents=s, specification=DRAFT202012)) for n, s in self._raw.items()
        )
        self._validators: dict[str, Draft202012Validator] = {}
        self._checks: dict[str, Check] = {}
        self._defaults: dict[str, dict] = {}

    @classmethod
    @cache
    def default(cls) -> SchemaRegistry:
        """The shipped `schemas/` directory alone, shared by every user in the process. An app's registry
        (`runtime.schemas`, `mockserver.registry.schemas()`) adds what the families contribute."""
        return cls(data_dir("schemas"))

    def extended(self, extra: dict[str, dict]) -> SchemaRegistry:
        """A new registry: these schemas and `extra` (a name in both is a ValueError)."""
        clash = sorted(set(self._raw) & set(extra))
        if clash:
            raise ValueError(f"schemas {', '.join(clash)} exist already")
        return SchemaRegistry(None, {**self._raw, **extra}, checked=frozenset(self._raw))

    def names(self) -> list[str]:
        return list(self._raw)

    def schema(self, name: str) -> dict:
        return self._raw[name]

    def defaults(self, name: str) -> dict:
        """The `default` of each top-level property of an object schema (a query's): what an absent
        parameter means, declared once in the schema and filled in by the request pipeline."""
        found = self._defaults.get(name)
        if found is None:
            properties = self._raw[name].get("properties", {})
            found = self._defaults[name] = {k: p["default"] for k, p in properties.items() if "default" in p}
        return found

    def title(self, name: str) -> str:
        return self._raw[name]["title"]

    def validator(self, name: str) -> Draft202012Validator:
        """The compiled validator for `name`, built on first use and kept."""
        validator = self._validators.get(name)
        if validator is None:
            contents = {**self._raw[name], "$id": self._uri(name)}
            validator = Draft202012Validator(
                contents, registry=self._registry, format_checker=FORMAT_CHECKER
            )
            self._validators[name] = validator
        return validator

    def resolver(self, name: str):
        """A `referencing` resolver for the references in `name`."""
        return self._registry.resolver(base_uri=self._uri(name))

    def is_valid(self, instance, name: str) -> bool:
        """Whether `instance` is valid against `name`, by the quick check compiled from it where it
        has one (see quickcheck), else by its validator."""
        return self._quick_check(name)(instance)

    def errors(self, name: str, instance, prefix: tuple = ()) -> list[FieldError]:
        """Every violation of `name` by `instance`, located under `prefix`: a valid instance (nearly every
        one) costs only the quick check; jsonschema runs to explain an invalid one."""
        if self.is_valid(instance, name):
            return []
        return field_errors(self.validator(name), instance, prefix)

    def _quick_check(self, name: str) -> Check:
        check = self._checks.get(name)
        if check is None:
            check = compile_check(self._raw[name], self.resolver(name)) or self.validator(name).is_valid
            self._checks[name] = check
        return check

    def compile_all(self, names) -> None:
        """Build the validators and quick checks of `names` now, so no request pays for it."""
        for name in names:
            self.validator(name)
            self._quick_check(name)

    def components(self, names) -> dict[str, dict]:
        """OpenAPI `components.schemas` for `names` and everything they reference."""
        out: dict[str, dict] = {}
        pending = list(names)
        while pending:
            name = pending.pop()
            title = self.title(name)
            if title in out:
                continue
            out[title] = self._rewrite(self._raw[name], name, pending)
        return dict(sorted(out.items()))

    def inline(self, name: str, node) -> tuple[dict, list[str]]:
        """A part of schema `name` for use elsewhere in the OpenAPI document: refs rewritten, targets listed."""
        pending: list[str] = []
        return self._rewrite(node, name, pending), pending

    def ref(self, name: str) -> dict:
        return {"$ref": f"#/components/schemas/{self.title(name)}"}

    def _rewrite(self, node, name: str, pending: list[str], depth: int = 0):
        """A copy of `node` (a part of schema `name`) for the OpenAPI document: a reference to a whole file
        names its component (listed in `pending`), one to a part is replaced by a copy of that part."""
        if isinstance(node, list):
            return [self._rewrite(value, name, pending, depth) for value in node]
        if not isinstance(node, dict):
            return node
        out = {key: self._rewrite(value, name, pending, depth) for key, value in node.items() if key != "$ref"}
        if "$ref" not in node:
            return out
        target, pointer = self._resolve(name, node["$ref"])
        if not pointer:
            pending.append(target)
            return {**self.ref(target), **out}
        if depth > 16:
            raise ValueError(f"schema {name}: $ref {node['$ref']!r} leads through too many parts")
        part = self._part(target, pointer)
        if isinstance(part, bool):  # JSON Schema's true and false, which OpenAPI tools do not all read
            part = {} if part else {"not": {}}
        return _merged(self._rewrite(part, target, pending, depth + 1), out)

    def _part(self, target: str, pointer: str):
        node = self._raw[target]
        for token in pointer.split("/")[1:]:
            token = token.replace("~1", "/").replace("~0", "~")
            node = node[int(token)] if isinstance(node, list) else node[token]
        return node

    def _resolve(self, name: str, ref: str) -> tuple[str, str]:
        """The schema `ref` (relative to schema `name`) names, and the JSON pointer into it ("" for all)."""
        uri, _, pointer = urljoin(self._uri(name), ref).partition("#")
        return uri[len(_BASE) : -len(".json")], pointer

    def _exists(self, target: str, pointer: str) -> bool:
        if pointer and not pointer.startswith("/"):
            return False  # an anchor, not a JSON pointer
        if target not in self._raw:
            return False
        try:
            return self._part(target, pointer) is not None
        except (KeyError, IndexError, ValueError, TypeError):
            return False

    @staticmethod
    def _uri(name: str) -> str:
        return f"{_BASE}{name}.json"

    def _check(self, checked: frozenset[str]) -> None:
        titles: dict[str, str] = {}
        for name, schema in self._raw.items():
            title = schema.get("title")
            if not title or title in titles:
                raise ValueError(f"schema {name}: needs a unique title (clashes with {titles.get(title)})")
            titles[title] = name
            if name not in checked:
                Draft202012Validator.check_schema(schema)
                self._check_refs(name, schema)

    def _check_refs(self, name: str, node) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref is not None and (ref.startswith("#") or not self._exists(*self._resolve(name, ref))):
                raise ValueError(f"schema {name}: $ref {ref!r} must name another schema file (or a part of one)")
            for value in node.values():
                self._check_refs(name, value)
        elif isinstance(node, list):
            for value in node:
                self._check_refs(name, value)


_ANNOTATIONS = frozenset({"title", "description", "examples", "default", "$comment", "deprecated", "readOnly",
                          "writeOnly"})


def _merged(part: dict, siblings: dict) -> dict:
    """`part` with the keywords written beside the `$ref` that named it (both apply, as in JSON Schema): merged
    where they do not disagree on an assertion, else `part` under `allOf`."""
    clash = {k for k in part.keys() & siblings.keys() if k not in _ANNOTATIONS and part[k] != siblings[k]}
    return {"allOf": [part], **siblings} if clash else {**part, **siblings}
