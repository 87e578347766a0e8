"""Haidy (44ai): patient contexts, patient files and the PIS integration deep link."""

from mockserver.haidy.models import HaidyBackend as Backend
from mockserver.haidy.routes import api
from mockserver.haidy import structure_routes  # noqa: F401,E402  (registers the structure operations on `api`)

__all__ = ["api", "Backend"]
