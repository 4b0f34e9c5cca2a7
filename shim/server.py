"""uvicorn as `shim serve` runs it, with the bounds uvicorn lacks: a deadline for each request's
head (a client that sends its headers a byte at a time, or nothing at all, over plain HTTP or
after a TLS handshake, is disconnected) and a cap on open connections (past it, a new one is
answered v1.1's 503, code 130, and closed). The deadline for a body is `shim.limits.BodyLimit`'s.
"""

import asyncio
import json
import socket
from asyncio import sslproto
from urllib.parse import urlsplit

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from mappings.errors import V11Error
from shim.config import ConfigError


def _full() -> bytes:
    body = json.dumps(V11Error(130).body(), separators=(",", ":")).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json;charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


FULL = _full()

# asyncio gives each TLS connection a 256 KiB read buffer, where a TLS record holds at most
# 16 KiB: 1,000 idle TLS clients took 280 MB, which the allocator then kept after they left.
TLS_READ_BUFFER = 32 * 1024


def lean_tls() -> None:
    """Read TLS connections two records at a time (benchmarks/connections.py: 284 → 60 KiB a
    connection). For `shim serve`'s own process only: it changes asyncio for the process."""
    sslproto.SSLProtocol.max_size = TLS_READ_BUFFER


def protocol(max_connections: int, read_timeout: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol with those two bounds."""

    class Bounded(H11Protocol):
        _head_due: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                transport.write(FULL)
                transport.close()
                return
            self._await_head()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:
                self._head_received()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._await_head()  # the next request's

        def connection_lost(self, exc: Exception | None) -> None:
            self._head_received()
            super().connection_lost(exc)

        def _await_head(self) -> None:
            self._head_received()
            self._head_due = self.loop.call_later(read_timeout, self._head_late)

        def _head_received(self) -> None:
            if self._head_due is not None:
                self._head_due.cancel()
                self._head_due = None

        def _head_late(self) -> None:
            self._head_due = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

    return Bounded


def refuse_loop(upstream_url: str, host: str, port: int) -> None:
    """Refuse to serve when SHIM_UPSTREAM_URL leads back to this shim: with the API's host name
    redirected to the shim, `https://api.twitter.com` as the upstream would send every call
    round in a circle. An address is this machine's when a socket can be bound to it."""
    upstream = urlsplit(upstream_url)
    upstream_port = upstream.port or (443 if upstream.scheme == "https" else 80)
    if upstream_port != port or not upstream.hostname:
        return
    try:
        found = socket.getaddrinfo(upstream.hostname, upstream_port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return  # unresolvable here and now; the upstream's own errors will say so
    for family, _, _, _, address in found:
        if host not in ("0.0.0.0", "::", "") and address[0] != host:
            continue
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind((address[0], 0))
            except OSError:
                continue  # another machine's address
        raise ConfigError(
            f"SHIM_UPSTREAM_URL {upstream_url} resolves to {address[0]}:{port}, where this shim "
            "listens: set it to the real API (https://api.x.com by default)"
        )
