"""Esteem General API: patients and their gauges, with user roles and Rails-style errors."""

from mockserver.esteem.models import EsteemWorld as Backend
from mockserver.esteem.routes import api

__all__ = ["api", "Backend"]
