"""Heidi Health: JWT auth, patient profiles, sessions and linked accounts, under the real base path."""

from mockserver.heidi.models import HeidiBackend as Backend
from mockserver.heidi.routes import api

__all__ = ["api", "Backend"]
