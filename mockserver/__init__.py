"""mockserver: a stateful, schema-driven fake of the Haidy, Heidi Health and Esteem APIs."""

__version__ = "0.1.0"

# below __version__, which the app reports
from mockserver.app import create_app
from mockserver.core.config import Config
from mockserver.harness.intercept import intercept

__all__ = ["create_app", "Config", "intercept", "__version__"]
