"""The TLS handshake of a connection `shim serve` has accepted (`shim.edge.processes.Config`
leaves it to the protocol), begun while the protocol is being given the connection."""

import asyncio
import ssl
import types
from collections.abc import Coroutine, Generator
from typing import Any

Secured = asyncio.Transport | None  # None, or closing, when the connection went meanwhile


def begin(
    loop: asyncio.AbstractEventLoop,
    transport: asyncio.Transport,
    protocol: asyncio.Protocol,
    tls: ssl.SSLContext,
    seconds: float,
) -> Coroutine[Any, Any, Secured]:
    """`loop.start_tls` for a server, given `seconds` for the handshake and for the closing
    one, run at once up to its first wait: uvloop starts reading a connection as soon as
    `connection_made` returns, and a handshake begun by a task, an iteration later, lost the
    client's hello to the HTTP parser. start_tls hands the connection to TLS before it waits
    (what Python 3.12's eager tasks would do)."""
    starting = loop.start_tls(
        transport,
        protocol,
        tls,
        server_side=True,
        ssl_handshake_timeout=seconds,
        ssl_shutdown_timeout=seconds,
    )
    try:
        waiting = starting.send(None)
    except StopIteration as done:  # never waited
        return _done(done.value)
    return _rest(starting, waiting)


async def _done(secured: Secured) -> Secured:
    return secured


@types.coroutine
def _rest(coroutine: Coroutine[Any, Any, Secured], waiting: Any) -> Generator[Any, Any, Secured]:
    """The rest of a coroutine already run up to `waiting`, what it waits for."""
    while True:
        try:
            try:
                resumed = yield waiting
            except BaseException as error:  # cancelled, as a task is
                waiting = coroutine.throw(error)
            else:
                waiting = coroutine.send(resumed)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]


TLS_REFUSALS = 64
"""Connections answered over TLS that they are refused, at most at once: each answer takes a
handshake, so past this many a connection is closed unanswered and refusing holds no more."""
_refusals: set[asyncio.Task[None]] = set()


def refuse(
    loop: asyncio.AbstractEventLoop,
    transport: asyncio.Transport,
    tls: ssl.SSLContext | None,
    seconds: float,
    answer: bytes,
) -> None:
    """Write `answer` and close, over TLS once a handshake is through."""
    transport.set_protocol(asyncio.Protocol())  # nothing more reaches the HTTP parser
    if tls is None:
        transport.write(answer)
        transport.close()
    elif len(_refusals) >= TLS_REFUSALS:
        transport.abort()
    else:
        closing = _Closing(loop)
        securing = begin(loop, transport, closing, tls, seconds)
        refusal = loop.create_task(_answer(securing, closing, answer))
        _refusals.add(refusal)
        refusal.add_done_callback(_refusals.discard)


class _Closing(asyncio.Protocol):
    """A refused TLS connection, counted until it is gone: its closing handshake can take
    `seconds` too."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.gone = loop.create_future()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.gone.done():
            self.gone.set_result(None)


async def _answer(securing: Coroutine[Any, Any, Secured], closing: _Closing, answer: bytes) -> None:
    try:
        secured = await securing
    except Exception:  # whatever ended the handshake: a failure, its time-out, a shutdown
        return
    if secured is not None and not secured.is_closing():
        secured.write(answer)
        secured.close()
        await closing.gone
