"""uvicorn as `shim serve` runs it (httptools, and uvloop where it builds), with the bounds
uvicorn lacks: a deadline for each request's head, from the connection's accept on (a client
that sends its headers a byte at a time, or nothing at all, or never finishes its TLS handshake,
is disconnected; a kept-alive connection's next head is timed from its first byte, the idle
wait before it being SHIM_KEEPALIVE_TIMEOUT's, uvicorn's `timeout_keep_alive`), a limit on its
size, and a cap on open connections with a share of it for each client address (past either, a
new one is answered v1.1's 503, code 130, and closed). The deadline for a body is
`shim.edge.limits.BodyLimit`'s.
"""

import asyncio
import ipaddress
import json
import socket
from asyncio import sslproto
from collections import Counter
from collections.abc import Coroutine
from http import HTTPStatus
from ipaddress import IPv4Network, IPv6Network
from typing import Any
from urllib.parse import urlsplit

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from shim.config import ConfigError, Settings
from shim.edge import handshake, simulated
from shim.edge.contained import CUT
from shim.edge.processes import Config
from shim.edge.throttle import network
from shim.errors import AtCapacity, HeadTooLarge, NotHTTP, ShellError, answer

IPNetwork = IPv4Network | IPv6Network


def _closing(cause: ShellError, mark: tuple[bytes, bytes] | None = None) -> bytes:
    """A whole v1.1 error answer that closes the connection, written before any request runs;
    `mark`, a header it carries too (the sandbox's)."""
    error = answer(cause)
    body = json.dumps(error.body(), separators=(",", ":")).encode()
    head = (
        f"HTTP/1.1 {error.status} {HTTPStatus(error.status).phrase}\r\n"
        "content-type: application/json;charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n"
    ).encode()
    marked = b"%s: %s\r\n" % mark if mark else b""
    return head + marked + b"\r\n" + body


# asyncio gives each TLS connection a 256 KiB read buffer, where a TLS record holds at most
# 16 KiB: 1,000 idle TLS clients took 280 MB, which the allocator then kept after they left.
TLS_READ_BUFFER = 32 * 1024


def lean_tls() -> None:
    """Read TLS connections two records at a time (benchmarks/connections.py: 284 → 60 KiB a
    connection) where asyncio's own loop serves (Windows, which uvloop does not build for;
    uvloop's TLS measured 32 KiB). For `shim serve`'s own process only: it changes asyncio for
    the process."""
    sslproto.SSLProtocol.max_size = TLS_READ_BUFFER


HEAD_LIMIT = 16 * 1024
"""Bytes of a request's line and headers at most, h11's bound: httptools keeps whatever comes
until a header ends, and uvicorn keeps every header."""
LINGER_SECONDS = 1.0
LINGER_BYTES = 1024 * 1024
"""How long, and for how many bytes, a connection refused mid-head goes on reading and dropping
what the client still sends: closed at once, its socket would answer them with RST, and the
client, still sending, would fail before reading the refusal. nginx's lingering close does the
same (`lingering_time`, `lingering_timeout`)."""


def protocol(settings: Settings) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with the settings' bounds and HEAD_LIMIT."""
    max_connections, read_timeout = settings.max_connections, settings.read_timeout
    # Written before there is a request to run the app's middleware on: the sandbox's mark
    # goes into them here (`shim.edge.simulated` marks the rest).
    mark = simulated.HEADER if settings.sandbox else None
    full, too_large, not_http = (
        _closing(cause, mark) for cause in (AtCapacity(), HeadTooLarge(), NotHTTP())
    )
    proxies: list[IPNetwork] = [ipaddress.ip_network(proxy) for proxy in settings.trusted_proxies]
    clients: Counter[str] = Counter()  # open connections by client address, proxies left out

    class Bounded(HttpToolsProtocol):
        _client: str | None = None  # the address counted in `clients` for this connection
        _handshake: asyncio.Task[None] | None = None  # held: the loop keeps tasks weakly
        _head_due: asyncio.TimerHandle | None = None
        _in_head = True  # what comes next is a request's head
        _head_ended = False  # in the read being parsed
        _received = 0  # bytes of the reads that fell wholly inside the head being read
        _parsed = 0  # bytes of its line and headers the parser has handed over
        _too_large = False
        _lingering: int | None = None  # bytes dropped since the refusal, while lingering

        # With `shim.edge.processes.Config`, a connection is made when it is accepted, before any
        # TLS handshake: it counts from then on, and its head's deadline covers the handshake.
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            client = _counted(transport, proxies)
            tls = self.config.tls if isinstance(self.config, Config) else None
            if len(self.connections) >= max_connections or (
                client is not None and clients[client] >= settings.client_connections
            ):
                handshake.refuse(self.loop, transport, tls, read_timeout, full)
                return
            super().connection_made(transport)
            if client is not None:
                self._client = client
                clients[client] += 1
            self._await_head()
            if tls is not None:
                securing = handshake.begin(self.loop, transport, self, tls, read_timeout)
                self._handshake = self.loop.create_task(self._secure(securing))

        async def _secure(self, securing: Coroutine[Any, Any, handshake.Secured]) -> None:
            try:
                secured = await securing
            except Exception as error:  # a failed handshake, its time-out, a shutdown
                self.connection_lost(error)
                return
            if secured is None or secured.is_closing():  # closed by the head's deadline
                self.connection_lost(None)
                return
            super().connection_made(secured)  # uvicorn reads https from it

        # A head is measured twice, and refused when either measure passes HEAD_LIMIT: by the
        # parts the parser hands over, which counts the read in which a head ends, whatever
        # else that read holds, and by the reads that fall wholly inside it, since httptools
        # holds a header back until its end comes. Neither measure takes a byte of a body.
        def data_received(self, data: bytes) -> None:
            if self._lingering is not None:
                self._lingering += len(data)
                if self._lingering > LINGER_BYTES:
                    self.transport.close()
                return
            if self._in_head and self._head_due is None and not self._in_request():
                self._await_head()  # a kept-alive connection's next request has begun
            in_head, self._head_ended = self._in_head, False
            super().data_received(data)
            refused = self._lingering is not None or self.transport.is_closing()
            if in_head and not self._head_ended and not refused:
                self._received += len(data)
                if self._received > HEAD_LIMIT:
                    self._refuse_head()

        def on_message_begin(self) -> None:
            self._received = self._parsed = 0
            super().on_message_begin()

        def on_url(self, url: bytes) -> None:
            self._count(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count(len(name) + len(value) + len(b": \r\n"))
            super().on_header(name, value)

        def _count(self, size: int) -> None:
            self._parsed += size
            if self._parsed > HEAD_LIMIT:
                self._too_large = True
                raise HeadTooLarge  # stops the parser; uvicorn calls send_400_response

        def send_400_response(self, msg: str) -> None:
            if self._too_large:
                self._refuse_head()
            else:  # bytes the parser cannot read as HTTP: v1.1's shape, not uvicorn's text
                self.transport.write(not_http)
                self.transport.close()

        def _refuse_head(self) -> None:
            self.transport.write(too_large)
            self._head_received()
            self._lingering = 0
            if self.transport.can_write_eof():  # TLS cannot: the answer says `close` itself
                self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)

        def on_headers_complete(self) -> None:
            self._count(len(self.parser.get_method()) + len(b"  HTTP/1.1\r\n\r\n"))
            self._in_head, self._head_ended = False, True
            self._head_received()
            super().on_headers_complete()
            cycle = self.cycle
            if cycle is not None and cycle.scope is self.scope:  # not an upgrade
                extensions: dict[str, Any] = self.scope.setdefault("extensions", {})
                extensions[CUT] = lambda: self._cut(cycle)

        def on_message_complete(self) -> None:
            self._in_head = True
            super().on_message_complete()

        def _cut(self, cycle: RequestResponseCycle) -> None:
            """End an answer whose head is out: the connection is closed, and uvicorn told the
            client is gone, so it adds no line of its own to the one the shim wrote."""
            cycle.disconnected = True
            self.transport.close()

        def connection_lost(self, exc: Exception | None) -> None:
            self._head_received()
            if self._client is not None:
                clients[self._client] -= 1
                if not clients[self._client]:
                    del clients[self._client]
                self._client = None
            super().connection_lost(exc)

        def _in_request(self) -> bool:
            """A request's head is in and its answer not yet complete (pipelined ones too)."""
            return self.cycle is not None and not self.cycle.response_complete

        def _await_head(self) -> None:
            self._head_received()
            self._head_due = self.loop.call_later(read_timeout, self._head_late)

        def _head_received(self) -> None:
            if self._head_due is not None:
                self._head_due.cancel()
                self._head_due = None

        def _head_late(self) -> None:
            self._head_due = None
            if not self._in_request() and not self.transport.is_closing():
                self.transport.close()

    return Bounded


def _counted(transport: asyncio.BaseTransport, proxies: list[IPNetwork]) -> str | None:
    """The client address a connection counts against, if any (an IPv6 address as its /64, as
    one host is commonly given the whole network): not a trusted proxy's, whose connections
    carry many clients (the app tells those apart by their forwarded addresses)."""
    peer = transport.get_extra_info("peername")
    if not isinstance(peer, tuple):  # not a network connection
        return None
    address = ipaddress.ip_address(peer[0])
    return None if any(address in proxy for proxy in proxies) else network(str(address))


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
