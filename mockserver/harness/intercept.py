"""Interception, as moto does for AWS: `requests` and `httpx` calls to the vendors' real hosts
reach the in-process fake without a socket; calls to any other host are untouched.

    with mockserver.intercept() as mock:
        requests.post("https://api.44ai.ch/v2/patient-contexts/", ...)   # answered by the fake
        mock.journal.assert_called("POST", "/v2/patient-contexts/")

A call to another host of a vendor's domain (`api.heidihealth.com` instead of
`registrar.api.heidihealth.com`, say) is almost always a wrong guess at the real host, and it would
silently reach the network: it raises `NotIntercepted`, naming the hosts that are intercepted,
unless `allow_hosts` lets it through.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from io import BytesIO
from urllib.parse import urlsplit

from flask import Flask

from mockserver.harness.mock_handle import MockHandle

_lock = threading.Lock()


class NotIntercepted(RuntimeError):
    """A call under `intercept()` to a host of a vendor's domain that the mock does not answer. Not a
    network error on purpose: a client's retry logic must not swallow it."""


@contextmanager
def intercept(app: Flask | None = None, *, allow_hosts: Iterable[str] = ()) -> Iterator[MockHandle]:
    """Route the vendors' hosts to `app` (a fresh default app if None) for the `with` block. Other hosts
    of the vendors' domains raise `NotIntercepted`, except those in `allow_hosts`, which reach the network."""
    if app is None:
        from mockserver.app import create_app

        app = create_app()
    hosts = {host for api in app.extensions["mockserver"].apis for host in api.hosts}
    guard = _Guard(hosts, set(allow_hosts))
    with _lock, _patch_requests(app, guard), _patch_httpx(app, guard):
        yield MockHandle(app)


class _Guard:
    """Which hosts the fake answers, and which other hosts of the vendors' domains may not be called."""

    def __init__(self, hosts: set[str], allowed: set[str]):
        self.hosts = hosts
        self.allowed = allowed
        self.domains = {".".join(host.split(".")[-2:]) for host in hosts}
        """The vendors' registrable domains (44ai.ch, heidihealth.com, ...), from their real hosts."""

    def answers(self, host: str | None) -> bool:
        """True: the fake answers `host`. False: the network does. Raises for a vendor host it does not know."""
        host = (host or "").lower()
        if host in self.hosts:
            return True
        if host not in self.allowed and any(host == d or host.endswith("." + d) for d in self.domains):
            raise NotIntercepted(
                f"{host} is not a host mockserver answers, and intercept() keeps vendor hosts off the network. "
                f"Intercepted: {', '.join(sorted(self.hosts))}. To let it through: intercept(allow_hosts=[{host!r}])")
        return False


def _wsgi_call(app: Flask, method: str, url: str, headers, body: bytes):
    """Run one request through the app; a fault rule's dropped connection surfaces as OSError."""
    parts = urlsplit(url)
    response = app.test_client().open(
        parts.path or "/", method=method, query_string=parts.query, headers=list(headers.items()),
        data=body, base_url=f"{parts.scheme}://{parts.netloc}")
    return response.status_code, list(response.headers.items()), response.get_data()


@contextmanager
def _patch_requests(app: Flask, guard: _Guard):
    try:
        import requests
        from requests.adapters import HTTPAdapter
        from requests.structures import CaseInsensitiveDict
    except ImportError:
        yield
        return
    original = HTTPAdapter.send

    def send(adapter, request, **kwargs):
        if not guard.answers(urlsplit(request.url).hostname):
            return original(adapter, request, **kwargs)
        body = request.body.encode() if isinstance(request.body, str) else (request.body or b"")
        if hasattr(body, "read"):
            body = body.read()
        try:
            status, headers, content = _wsgi_call(app, request.method, request.url, request.headers, body)
        except OSError as exc:
            raise requests.ConnectionError(exc, request=request) from exc
        response = requests.Response()
        response.status_code, response.url, response.request = status, request.url, request
        response.headers = CaseInsensitiveDict(headers)
        response._content, response.raw = content, BytesIO(content)
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        response.reason = _reason(status)
        return response

    HTTPAdapter.send = send
    try:
        yield
    finally:
        HTTPAdapter.send = original


@contextmanager
def _patch_httpx(app: Flask, guard: _Guard):
    try:
        import httpx
    except ImportError:
        yield
        return
    sync_original = httpx.HTTPTransport.handle_request
    async_original = httpx.AsyncHTTPTransport.handle_async_request

    def answer(request):
        try:
            status, headers, content = _wsgi_call(
                app, request.method, str(request.url), request.headers, request.read()
            )
        except OSError as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from exc
        return httpx.Response(status, headers=headers, content=content, request=request)

    def handle(transport, request):
        return answer(request) if guard.answers(request.url.host) else sync_original(transport, request)

    async def handle_async(transport, request):
        if not guard.answers(request.url.host):
            return await async_original(transport, request)
        await request.aread()
        return answer(request)

    httpx.HTTPTransport.handle_request = handle
    httpx.AsyncHTTPTransport.handle_async_request = handle_async
    try:
        yield
    finally:
        httpx.HTTPTransport.handle_request = sync_original
        httpx.AsyncHTTPTransport.handle_async_request = async_original


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
