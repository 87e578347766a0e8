"""The admin side against web pages: CORS, cross-site requests, and the root URL's way to the console.

The vendor APIs answer any origin's pages (`--cors-origin`), as a frontend under development needs. The admin
API (`/_mock/`) holds what was sent (tokens included) and resets everything, so only its own pages (the
console) and the origins named with `--admin-origin` may read it, and a state-changing request from a page of
any other site is refused before it runs. Requests without an `Origin` (curl, scripts, the pytest plugin) pass.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect

from mockserver.core.config import Config
from mockserver.core.errors import Forbidden

ADMIN_PREFIX = "/_mock/"
CONSOLE_PATH = "/_mock/console/"
STATE_CHANGING = frozenset(("POST", "PUT", "PATCH", "DELETE"))
_DEFAULT_PORTS = {"http": 80, "https": 443}


def cors_resources(config: Config) -> dict[str, dict]:
    """flask-cors resources: the admin API answers only `admin_origins` (with cookies, for the console's
    session); the rest of the paths keep the app-wide options (`cors_origins`)."""
    return {r"/_mock/.*": {"origins": list(config.admin_origins), "supports_credentials": True}, r"/.*": {}}


def refuse_cross_site(req, admin_origins: list[str]) -> None:
    """`Forbidden` for a state-changing admin request, or a CORS preflight, from a page that is neither the
    server's own (its origin is the Host the request came to) nor one of `admin_origins`; also for any that a
    browser marks `Sec-Fetch-Site: cross-site`, unless from one of `admin_origins`."""
    environ = req.environ
    origin, site = environ.get("HTTP_ORIGIN"), environ.get("HTTP_SEC_FETCH_SITE")
    if origin is None and site != "cross-site":
        return
    preflight = req.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
    if req.method not in STATE_CHANGING and not preflight:
        return  # a read: it runs, and without CORS headers the page cannot see the answer
    named = origin is not None and origin.lower().rstrip("/") in admin_origins
    if named or (site != "cross-site" and _same_origin(origin, environ.get("HTTP_HOST", ""))):
        return
    raise Forbidden(f"Cross-site request refused: the admin API takes {req.method} only from its own pages and "
                    f"from the origins of serve --admin-origin, not from {origin or 'another site'}")


def _same_origin(origin: str | None, host: str) -> bool:
    if not origin or not host:
        return False
    try:
        sent, here = urlsplit(origin.lower()), urlsplit(f"//{host.lower()}")
        default = _DEFAULT_PORTS.get(sent.scheme)
        return (default is not None and bool(sent.hostname) and sent.hostname == here.hostname
                and (sent.port or default) == (here.port or default))
    except ValueError:  # a port that is not a number
        return False


def console_redirect(req):
    """A browser opening the root URL (it prefers HTML) goes to the console; None for API clients, who keep
    getting the JSON 404."""
    accept = req.accept_mimetypes
    if req.method in ("GET", "HEAD") and accept["text/html"] > accept["application/json"]:
        return redirect(CONSOLE_PATH, 302)
    return None
