"""Losing a connection on purpose: what a fault rule's `drop` does (schemas/mock/fault-rule.json).

Two modes:

- "reset", the default (`drop: true`): a TCP reset before any byte of the answer. The client's HTTP
  library raises a connection error and has no status: what a client must handle when a server, a proxy or
  a load balancer resets the connection. WireMock calls it CONNECTION_RESET_BY_PEER.
- "cut": a 200 status line and headers promising `PROMISED_LENGTH` bytes, the first bytes of a JSON body
  (`CUT_BODY`), then the connection closes: the client has a status and fails reading the body. WireMock's
  MALFORMED_RESPONSE_CHUNK is of this kind.

A cut needs nothing but the answer's body: it yields `CUT_BODY`, gives the server a moment to send it
(granian writes from another thread, and drops what it has not written when the body fails), and raises
`IntendedCut`. Every server then closes the connection.

A reset cannot be done through WSGI alone: granian sends the status line and headers as soon as the app
returns, waitress as soon as the body yields. So the app finds its connection's socket among the process's
file descriptors and, on Linux, resets it with `connect(AF_UNSPEC)` (the kernel's tcp_disconnect): the
client gets a RST, and the server's descriptor stays open and valid, its next read or write failing as if
the client had reset the connection, which every server takes quietly. Closing the socket instead would
not reach the wire (the server holds its own descriptor to it), and swapping the server's descriptor for
another with dup2 would leave granian's event loop waiting on a socket it never registered. Where
`connect(AF_UNSPEC)` does not reset (not Linux), the socket is shut down both ways with SO_LINGER 0: the
client reads an end of file before any byte. Either way the socket ends up shut down, so the server's reads
find an end of file (not ENOTCONN, which werkzeug's server would print with a traceback) and its writes
EPIPE. The body then raises `IntendedReset`, so no server writes an answer on the reset connection.
Finding the socket:

- werkzeug's development server (the pytest plugin's `mockserver`) hands the app its socket.
- waitress tells the client's address and port: the one socket with that peer on the server's port.
- granian tells the client's address but not its port, and a client often has more than one connection open
  (a `requests.post` whose answer is still referenced keeps its connection). So every connection from that
  address to the server's port is corked (TCP_CORK: the kernel holds what the server writes, up to 200 ms),
  and the body watches them (SIOCOUTQNSD, the bytes written but not sent): the status line and headers show
  up on the request's connection; the body then yields `CUT_BODY`, and the connection on which exactly
  those bytes show up next is the request's. It is reset, which throws away what the kernel held, and
  the others are uncorked. The rest of the client's connections wait a few milliseconds at most. One such
  watch runs at a time; a drop that comes meanwhile waits for it.

Where the connection cannot be found or singled out (not Linux under granian, a HEAD request under
granian, whose answer has no body to watch), the rule cuts instead and logs a warning that says why. In
process (the Flask test client, `mockserver.intercept()`) there is no connection: the body raises
`IntendedReset`, a ConnectionResetError, out of the test client's call, before any byte.

The servers log an exception that a WSGI body raises as an error with a traceback; `quiet_server_logs`
installs a filter that drops exactly those reports of an `IntendedDrop`, as the drop's own info line has
said what happened.
"""

from __future__ import annotations

import array
import ctypes
import functools
import ipaddress
import logging
import os
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterator

from mockserver.core import gate

log = logging.getLogger("mockserver.faults")

MODES = ("reset", "cut")
DEFAULT_MODE = "reset"
"""What `drop: true` means."""
PROMISED_LENGTH = 1024
"""The Content-Length of a dropping answer."""
CUT_BODY = b'{"'
"""The body bytes a cut sends before it closes the connection."""
ON_PURPOSE = "connection dropped on purpose by a mockserver fault rule"
"""The end of an `IntendedDrop`'s message, which is how the filter knows granian's report of one."""
FLUSH_SECONDS = 0.05
"""How long a cut waits, after its last bytes, for the server to send them."""
HEADERS_SECONDS = 1.0
"""How long the body waits for the server to write the status line and headers on some corked connection."""
PROBE_SECONDS = 0.1
"""How long it then waits for `CUT_BODY` to show up: well within the 200 ms the kernel holds corked bytes."""
_IN_PROCESS = "in process, with no connection"
_LINUX = sys.platform.startswith("linux")
_SIOCOUTQNSD = 0x894B
"""Linux's ioctl for the bytes in a socket's send queue not sent yet."""


class IntendedDrop(ConnectionError):
    """Raised by the body of a dropping answer; the servers' reports of it are filtered out."""


class IntendedReset(IntendedDrop, ConnectionResetError):
    pass


class IntendedCut(IntendedDrop, ConnectionAbortedError):
    pass


def drop(mode: str, rule_id: str, environ: dict) -> Iterator[bytes]:
    """Drop the request's connection as `mode` says and log it in one line (a warning where the mode falls
    back). Returns the body to answer with, under a 200 with Content-Length `PROMISED_LENGTH`, for every
    request method: the body is what resets or cuts."""
    where = f"({environ.get('REQUEST_METHOD', '')} {environ.get('PATH_INFO', '')})"
    on_server = "SERVER_SOFTWARE" in environ
    head = environ.get("REQUEST_METHOD") == "HEAD"
    cut = f"cut mid-body: status line, headers and {len(CUT_BODY)} of {PROMISED_LENGTH} body bytes"
    if mode == "cut":
        if head:
            log.info("fault rule %s: connection not cut (a HEAD answer has no body): the status line and headers "
                     "answer it %s", rule_id, where)
        else:
            log.info("fault rule %s: connection %s %s", rule_id, cut, where)
        return _cut(rule_id, wait=on_server)
    if not on_server and "werkzeug.socket" not in environ:
        log.info("fault rule %s: connection reset before any byte %s: %s, as the ConnectionResetError the "
                 "call raises", rule_id, where, _IN_PROCESS)
        return _raise(IntendedReset(f"{rule_id}: {ON_PURPOSE}"))
    cut_instead = functools.partial(
        _cut_instead, rule_id, f": the status line and headers answer it {where}" if head else f", but {cut} {where}")
    try:
        socks, exact = _connections(environ)
    except LookupError as why_not:
        return cut_instead(str(why_not))
    if not exact:
        if head:
            for sock in socks:
                sock.close()
            return cut_instead(f"{environ['SERVER_SOFTWARE']} does not tell the client's port, and a HEAD answer "
                               "has no body to single out its connection by")
        return _ResetOnceWritten(socks, rule_id, where, cut_instead)
    with socks[0]:
        try:
            _reset(socks[0], rule_id, where)
        except OSError as error:  # the client is gone already
            return cut_instead(f"{error.strerror or error}")
    return _raise(IntendedReset(f"{rule_id}: {ON_PURPOSE}"))


def cut_stream(rule_id: str, environ: dict) -> Iterator[bytes]:
    """The end of a streamed answer that a rule cuts (`FaultRule.cut_stream_after`): what was sent stays sent,
    the chunked body never ends, and the connection closes."""
    log.info("fault rule %s: streamed answer cut after its first pieces (%s %s)", rule_id,
             environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""))
    return _cut(rule_id, wait="SERVER_SOFTWARE" in environ, sent=True)


def _raise(error: IntendedDrop) -> Iterator[bytes]:
    """A body that raises `error` when the server asks for its first bytes."""
    raise error
    yield b""  # makes this a generator


def _cut(rule_id: str, wait: bool, sent: bool = False) -> Iterator[bytes]:
    if not sent:
        yield CUT_BODY
    if wait:
        time.sleep(FLUSH_SECONDS)
    raise IntendedCut(f"{rule_id}: {ON_PURPOSE}")


def _cut_instead(rule_id: str, instead: str, why_not: str, sent: bool = False) -> Iterator[bytes]:
    log.warning("fault rule %s: connection not reset (%s)%s", rule_id, why_not, instead)
    return _cut(rule_id, wait=True, sent=sent)


class _ResetOnceWritten:
    """The body that finds, among the client's corked connections, the one the server writes this answer on,
    and resets it.

    The server iterates it once it has the status line and headers, so it waits for some connection's unsent
    bytes to grow (the headers), yields `CUT_BODY` and resets the one connection whose unsent bytes then grow
    by exactly that much; other answers, on other connections, are never 2 bytes. Whatever happens, `close`
    uncorks the others and closes the duplicates. One watch at a time: a watch corks and uncorks every
    connection from the client, another watch's included.
    """

    def __init__(self, socks: list[socket.socket], rule_id: str, where: str, cut_instead):
        self._socks, self._rule_id, self._where, self._cut_instead = socks, rule_id, where, cut_instead
        self._said = False
        # the watch ahead ends on its own, in the thread that reads its body
        self._watching = gate.acquire(_one_watch, timeout=2 * HEADERS_SECONDS)
        if self._watching:
            for sock in socks:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        self._unsent = [_unsent(sock) for sock in socks]
        self._steps = self._run()

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        return next(self._steps)

    def close(self) -> None:
        for sock in self._socks:
            if self._watching:
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)  # sends what it held
                except OSError:
                    pass
            sock.close()
        self._socks = []
        if self._watching:
            self._watching = False
            _one_watch.release()
        if not self._said:
            self._said = True
            log.warning("fault rule %s: connection not reset: the server stopped taking the answer's body %s",
                        self._rule_id, self._where)

    def __del__(self):  # a body that no server iterated nor closed
        try:
            self.close()
        except Exception:  # at interpreter exit
            pass

    def _run(self) -> Iterator[bytes]:
        sent, why_not = False, "another drop was watching them"
        if self._watching:
            why_not = "the server wrote the headers on none of them"
            if self._grown():  # the status line and headers
                yield CUT_BODY
                sent, why_not = True, "the server's writes did not single out one"
                ours = [i for i, by in self._grown(len(CUT_BODY)).items() if by == len(CUT_BODY)]
                if len(ours) == 1:
                    with self._socks.pop(ours[0]) as sock:
                        try:
                            _reset(sock, self._rule_id, self._where)
                            reset = True
                        except OSError as error:  # the client is gone already
                            reset, why_not = False, f"{error.strerror or error}"
                    if reset:
                        self._said = True
                        self.close()
                        raise IntendedReset(f"{self._rule_id}: {ON_PURPOSE}")
        candidates = len(self._socks)
        self._said = True
        self.close()
        yield from self._cut_instead(f"{candidates} connections from the client, and {why_not}", sent=sent)

    def _grown(self, by: int | None = None) -> dict[int, int]:
        """{index: bytes} of the connections whose unsent bytes grew, once one did (by exactly `by`, if given),
        or after HEADERS_SECONDS (PROBE_SECONDS with `by`)."""
        deadline = time.monotonic() + (HEADERS_SECONDS if by is None else PROBE_SECONDS)
        while True:
            grown, now = self._growth()
            if (grown and (by is None or by in grown.values())) or time.monotonic() > deadline:
                time.sleep(0.001)  # a write that lands at the same time shows up too
                grown, self._unsent = self._growth()
                return grown
            time.sleep(0.0002)

    def _growth(self) -> tuple[dict[int, int], list[int]]:
        now = [_unsent(sock) for sock in self._socks]
        return {i: after - before for i, (before, after) in enumerate(zip(self._unsent, now, strict=True))
                if after != before}, now


_one_watch = threading.Lock()


def _connections(environ: dict) -> tuple[list[socket.socket], bool]:
    """Sockets (duplicates, for the caller to close) that may be the request's connection, and whether the
    one there is surely it. Raises LookupError saying why there is none."""
    own = environ.get("werkzeug.socket")
    if own is not None:
        return [socket.socket(fileno=os.dup(own.fileno()))], True
    try:
        server_port = int(environ["SERVER_PORT"])
        client = _ip(environ["REMOTE_ADDR"])
        client_port = int(environ["REMOTE_PORT"]) if environ.get("REMOTE_PORT") else None
    except (KeyError, ValueError):
        raise LookupError("the server does not say the client's address") from None
    if client_port is None and not _LINUX:
        raise LookupError(f"{environ['SERVER_SOFTWARE']} does not say the client's port") from None
    found: dict[tuple, socket.socket] = {}
    for fd in _descriptors():
        sock = _socket_at(fd)
        if sock is None:
            continue
        key = _connection_key(sock, server_port, client, client_port)
        if key is None or key in found:  # not it, or another descriptor of one found already
            sock.close()
        else:
            found[key] = sock
    if not found:
        raise LookupError(f"no connection from {client} to port {server_port}")
    return list(found.values()), client_port is not None and len(found) == 1


def _descriptors() -> list[int]:
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            return [int(name) for name in os.listdir(folder)]
        except (OSError, ValueError):
            continue
    return []


def _socket_at(fd: int) -> socket.socket | None:
    try:
        if _LINUX and not os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
            return None
        duplicate = os.dup(fd)
    except OSError:  # closed meanwhile
        return None
    try:
        return socket.socket(fileno=duplicate)
    except OSError:  # not a socket
        os.close(duplicate)
        return None


def _connection_key(sock: socket.socket, server_port: int, client, client_port: int | None) -> tuple | None:
    """(local, peer) if `sock` is a TCP connection from `client` (and `client_port`) to `server_port`."""
    if sock.type != socket.SOCK_STREAM or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return None
    try:
        local, peer = sock.getsockname(), sock.getpeername()
        if local[1] != server_port or _ip(peer[0]) != client or client_port not in (None, peer[1]):
            return None
    except (OSError, ValueError):  # a listening or unconnected socket
        return None
    return local[:2], peer[:2]


def _ip(text: str):
    address = ipaddress.ip_address(text.split("%", 1)[0])
    return (address.ipv4_mapped or address) if address.version == 6 else address


def _unsent(sock: socket.socket) -> int:
    import fcntl  # not on Windows; this runs on Linux only

    buffer = array.array("i", [0])
    try:
        fcntl.ioctl(sock.fileno(), _SIOCOUTQNSD, buffer)
    except OSError:
        return -1
    return buffer[0]


def _reset(sock: socket.socket, rule_id: str, where: str) -> None:
    """Reset the connection under the server's feet ("closed" where only a shutdown is possible), having said so
    first: the client may stop the server as soon as it has the reset, and the line must be out by then. An OSError
    (the client is gone) comes before anything is said."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    how = "reset" if _LINUX else "closed (no TCP reset on this platform)"
    log.info("fault rule %s: connection %s before any byte %s", rule_id, how, where)
    if not _LINUX:
        sock.shutdown(socket.SHUT_RDWR)
        return
    if not _disconnect(sock.fileno()):
        log.warning("fault rule: the TCP reset failed (errno %s); the connection is shut down instead",
                    ctypes.get_errno())
    try:  # marks the disconnected socket shut down: the server's reads find an end of file, not ENOTCONN
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # ENOTCONN, having done so
        pass


def _disconnect(fd: int) -> bool:
    """Linux: connect() to an AF_UNSPEC address disconnects a TCP socket, with a RST to an established peer."""
    if not _LINUX:
        return False
    unspecified = bytes(16)  # a struct sockaddr whose sa_family is AF_UNSPEC (0)
    return _libc().connect(fd, unspecified, len(unspecified)) == 0


@functools.cache
def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.connect.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32)
    libc.connect.restype = ctypes.c_int
    return libc


class _IntendedDropFilter(logging.Filter):
    """Drops a server's report of an `IntendedDrop`: waitress logs it with exc_info; granian formats it into
    the message, which ends with the exception's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], IntendedDrop):
            return False
        return not (isinstance(record.msg, str) and record.getMessage().rstrip().endswith(ON_PURPOSE))


_FILTER = _IntendedDropFilter()


def quiet_server_logs() -> None:
    """Keep waitress and granian from logging an intended drop as an error with a traceback (and nothing
    else). Granian's worker must have configured its logging first: the filter goes on its handlers, as its
    reports come from child loggers that the `_granian` logger's own filters never see."""
    for logger in (logging.getLogger("waitress"), logging.getLogger("_granian")):
        logger.addFilter(_FILTER)
        for handler in logger.handlers:
            handler.addFilter(_FILTER)
