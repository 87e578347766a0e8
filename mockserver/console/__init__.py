"""The web console: one page under /_mock/console/ that shows and drives the mock in a browser.

Static files only, shipped in the package (`static/`): plain JavaScript modules, no build step, nothing from a
CDN (Swagger UI is vendored in `static/vendor/swagger-ui/`). The page reads and changes the mock only through the
admin API (`/_mock/...`) and the OpenAPI documents (`/openapi.json`, `/_mock/openapi.json`), over HTTP like any
client: this module serves files and knows nothing of the state. It imports nothing of mockserver.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory

STATIC = Path(__file__).parent / "static"
PATH = "/_mock/console/"
"""Where the console is served; the other files lie below it."""
SWAGGER_UI_VERSION = "5.35.0"
"""The vendored swagger-ui-dist (static/vendor/swagger-ui/README.md)."""

SECURITY_HEADERS = {
    # Scripts and data only from this origin: a value that slipped into markup still could not run or call out.
    # Inline styles are allowed for Swagger UI's layout; no inline script is.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def blueprint() -> Blueprint:
    """The console's routes: `/_mock/console/` (the page) and the files below it."""
    console = Blueprint("console", __name__)

    @console.get(PATH, endpoint="index")
    def index() -> Response:
        return _send("index.html")

    @console.get(PATH + "<path:name>", endpoint="asset")
    def asset(name: str) -> Response:
        return _send(name)

    return console


MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".md": "text/markdown",
               ".txt": "text/plain"}
"""Stated, not guessed from the system's MIME table: a browser runs a module script only as JavaScript."""


def _send(name: str) -> Response:
    """A static file (404 outside `static/`), revalidated by ETag so an upgraded package is seen at once."""
    media_type = MEDIA_TYPES.get(Path(name).suffix)
    response = send_from_directory(STATIC, name, max_age=0, **({"mimetype": media_type} if media_type else {}))
    response.headers.update(SECURITY_HEADERS)
    return response
