"""mockserver: a stateful, schema-driven fake of the Haidy, Heidi Health and Esteem APIs."""

__version__ = "0.1.0"

from mockserver.app import create_app  # noqa: E402  (after __version__, which the app reports)
from mockserver.core.config import Config  # noqa: E402
from mockserver.harness.intercept import intercept  # noqa: E402

__all__ = ["create_app", "Config", "intercept", "__version__"]
