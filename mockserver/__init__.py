"""mockserver: a stateful, schema-driven fake of the Haidy, Heidi Health and Esteem APIs.

`create_app`, `Config` and `intercept` are imported on first use: the pytest plugin lives in this
package, and a pytest run that uses no mock should not pay for importing the app.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"
__all__ = ["create_app", "Config", "intercept", "NotIntercepted", "__version__"]

if TYPE_CHECKING:
    from mockserver.app import create_app
    from mockserver.core.config import Config
    from mockserver.harness.intercept import NotIntercepted, intercept

_LAZY = {"create_app": "mockserver.app", "Config": "mockserver.core.config",
         "intercept": "mockserver.harness.intercept", "NotIntercepted": "mockserver.harness.intercept"}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
