"""Where the data directories live: inside the wheel, or at the top of a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]
"""The `mockserver` package directory."""


def data_dir(name: str) -> Path:
    """Return `schemas/` or `fixtures/`: packaged under `_data/` in a wheel, top-level in a checkout."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"mockserver data directory {name!r} not found beside the package")


STATE_FILE = "state.json"
"""A data set is a directory: this state export, and the documents it holds as files (`documents/`)."""


def data_set_state(name_or_path: str) -> Path:
    """The state file of a data set: a bare name is one shipped in `fixtures/` (`demo`) before a directory
    of that name; anything else is a directory's path."""
    shipped, given = data_dir("fixtures"), Path(name_or_path)
    bare = given.name == name_or_path != ".."
    for directory in ([shipped / name_or_path] if bare else []) + [given]:
        if (directory / STATE_FILE).is_file():
            return directory / STATE_FILE
    names = sorted(d.name for d in shipped.iterdir() if (d / STATE_FILE).is_file())
    raise FileNotFoundError(f"no data set {name_or_path!r}: not one shipped with mockserver ({', '.join(names)}) "
                            f"nor a directory with a {STATE_FILE}")
