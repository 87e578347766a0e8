"""The layering ARCHITECTURE.md states, held against every module's imports: core, control, the
families, the composition root (registry, app) and the harness, each importing only below itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mockserver import registry

PACKAGE = Path(__file__).resolve().parents[1] / "mockserver"
FAMILIES = set(registry.names())
ALLOWED = {
    "core": {"core", "version"},
    "control": {"core", "control", "version"},
    "clinical": {"core", "clinical", "version"},  # what the vendors do to clinical content, shared by families
    "family": {"core", "clinical", "version"},  # and its own folder, checked apart
    "console": {"core", "console", "version"},  # static files it serves; the page talks to the admin API over HTTP
    "root": {"core", "control", "clinical", "family", "console", "root", "version"},
    "harness": {"core", "control", "clinical", "family", "console", "root", "harness", "version"},
}


def layer(module: str) -> tuple[str, str | None]:
    """The layer of a dotted module name under mockserver, and the family it belongs to, if any."""
    parts = module.split(".")[1:]
    head = parts[0] if parts else ""
    if head in ("core", "control", "clinical", "console", "harness"):
        return head, None
    if head in FAMILIES:
        return "family", head
    if head == "__version__":
        return "version", None
    return "root", None  # registry, app, the package itself


def imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.startswith("mockserver")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mockserver"):
            if node.module == "mockserver":
                found += [f"mockserver.{alias.name}" for alias in node.names]
            else:
                found.append(node.module)
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_each_module_imports_only_from_its_layer_and_below(path):
    name = ".".join(("mockserver", *path.relative_to(PACKAGE).with_suffix("").parts))
    # the package's __init__ is its public surface (create_app, Config, intercept): on top, with the harness
    own_layer, own_family = ("harness", None) if name == "mockserver.__init__" else layer(name)
    wrong = []
    for target in imports(path):
        target_layer, target_family = layer(target)
        if target_layer == "family" and own_layer == "family":
            if target_family != own_family:
                wrong.append(f"{target} (another family)")
        elif target_layer not in ALLOWED[own_layer]:
            wrong.append(f"{target} ({target_layer})")
    assert not wrong, f"{name} ({own_layer}) imports {', '.join(wrong)}: see ARCHITECTURE.md"


def test_the_check_sees_a_wrong_import():
    assert layer("mockserver.core.store") == ("core", None)
    assert layer("mockserver.haidy.analyst.fhir") == ("family", "haidy")
    assert "family" not in ALLOWED["core"] and "control" not in ALLOWED["family"]
    assert layer("mockserver.clinical.extraction") == ("clinical", None) and "family" not in ALLOWED["clinical"]
    assert layer("mockserver.console") == ("console", None) and "control" not in ALLOWED["console"]
    assert "mockserver.heidi.models" in imports(PACKAGE / "heidi" / "routes.py")
