"""Haidy (44ai): patient contexts, patient files and the PIS integration deep link."""

from mockserver.haidy.models import HaidyBackend as Backend
from mockserver.haidy.routes import api

__all__ = ["api", "Backend"]
