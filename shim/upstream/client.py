"""The v2 side of the walk: one connection pool (aiohttp's, with httpx2's client over it for the
pass-through and uploads), and `drive`, which runs a flow's batches.

Transport failures and unreadable bodies become `V2Reply` values, so every decision about what
they mean to a v1.1 client stays in `mappings/`.
"""

import asyncio
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx2

from mappings.types import NO_ANSWER, Steps, T, V2Call, V2Reply
from shim import __version__
from shim.edge import requests_log
from shim.edge.logs import REQUEST_ID
from shim.errors import UpstreamBroken, UpstreamUnavailable
from shim.upstream.aiohttp_transport import AiohttpTransport, exchange
from shim.upstream.breaker import CircuitBreaker

log = logging.getLogger("shim.upstream")

Send = Callable[[V2Call], Awaitable[V2Reply]]

# What a flow raises when an upstream body lacks what it reads: the answer was unusable.
UNREADABLE = (KeyError, IndexError, TypeError, ValueError, AttributeError)


MAX_CONNECTIONS = 100  # to the upstream, shared by every caller
RETRIES = 2  # after the first try, for calls that are safe to repeat
BACKOFF = 0.1  # seconds: the first retry waits up to this, each next one up to twice as long
UNAVAILABLE = frozenset((NO_ANSWER, 502, 503, 504))
SENT = "shim.sent"  # the request's extension holding when it was sent (time.monotonic)


class Upstream:
    """Sends `V2Call`s to the v2 base URL on the client's transport, retrying what is safe to
    repeat and refusing at once while the circuit breaker is open."""

    def __init__(
        self,
        base_url: str,
        timeout: float,
        breaker: CircuitBreaker | None = None,
        speedups: bool = True,
    ) -> None:
        self.breaker = breaker or CircuitBreaker()
        self.timeout = timeout
        # With SHIM_SPEEDUPS off, None: httpx2's own transport, with these limits.
        self.client = httpx2.AsyncClient(
            base_url=base_url,
            transport=AiohttpTransport(MAX_CONNECTIONS) if speedups else None,
            timeout=httpx2.Timeout(timeout, connect=min(timeout, 5.0)),
            limits=httpx2.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=20),
            headers={"user-agent": f"twitter-mute-shim/{__version__}"},
            event_hooks={"request": [_with_request_id], "response": [_noted]},
        )
        self._base = str(self.client.base_url).rstrip("/")
        self._timeouts = self.client.timeout.as_dict()

    async def send(self, call: V2Call, auth: httpx2.Auth) -> V2Reply:
        """One v2 call, retried with jittered back-off while the upstream is unavailable and the
        call is safe to repeat; the deadline around the whole request bounds the waiting. To the
        breaker the call and its retries are one call, ending as its last try ends: a blip the
        retries ride out is no failure, and one failing call is not three."""
        try:
            async with self.permit() as report:
                reply = await self._request(call, auth)
                for retry in range(RETRIES if call.idempotent else 0):
                    # Not while the breaker is open or probing: a probe tells, it does not insist.
                    if reply.status not in UNAVAILABLE or self.breaker.state != "closed":
                        break
                    await asyncio.sleep(random.uniform(0, BACKOFF * 2**retry))  # "full jitter"
                    reply = await self._request(call, auth)
                report(reply.status)
                return reply
        except UpstreamUnavailable:  # from the breaker: the call was not sent
            return V2Reply(503)

    @asynccontextmanager
    async def permit(self) -> AsyncIterator[Callable[[int], None]]:
        """A call the breaker lets through (else `UpstreamUnavailable`), and how to report its
        status (NO_ANSWER: no answer at all). A call that ends unreported, cut off by the request's
        deadline, cancelled, or failed in any other way, is reported as no answer: a half-open
        breaker's probe always reports, and a slow upstream opens the breaker."""
        ticket = self.breaker.allow()
        if ticket is None:
            raise UpstreamUnavailable
        reported = False

        def report(status: int) -> None:
            nonlocal reported
            reported = True
            self.breaker.record(ticket, failed=status in UNAVAILABLE)

        try:
            yield report
        finally:
            if not reported:
                self.breaker.record(ticket, failed=True)

    def request_for(self, call: V2Call) -> httpx2.Request:
        """What `client.build_request` makes of the call, with the URL parsed once: it parsed
        the base URL merged with the path, then again with the query added, most of what
        building a call cost (tests/shim/test_speedups.py holds the two equal)."""
        query = f"?{httpx2.QueryParams(call.params)}" if call.params else ""
        return httpx2.Request(
            call.method,
            self._base + call.path + query,
            json=call.json,
            headers=self.client.headers,
            extensions={"timeout": self._timeouts},
        )

    async def _request(self, call: V2Call, auth: httpx2.Auth) -> V2Reply:
        """One call's reply, sent on the transport directly (on aiohttp, `exchange`), not through
        httpx2's client: its send, hooks and answer were most of what a call cost
        (docs/performance.md). No answer at all (refused, timed out, closed before its head) is
        NO_ANSWER, which v1.1 answers 503/130 and the breaker counts; an answer cut off after its
        head, or whose body is not JSON, is the status with no body: an answer, unreadable,
        which the flow answers 500/131 (`mappings.errors.raise_for_v2`)."""
        request = self.request_for(call)
        _stamp(request)
        next(auth.auth_flow(request))  # the shim's auths set a header and are done
        # The client's transport for the URL: with SHIM_SPEEDUPS off, a proxy's, as send chose.
        transport = self.client._transport_for_url(request.url)
        try:
            status, headers, body = await exchange(transport, request)
        except httpx2.TransportError as error:
            _note(request, NO_ANSWER)
            log.warning("v2 %s %s: no answer (%s)", call.method, call.path, type(error).__name__)
            return V2Reply(NO_ANSWER)
        _note(request, status)
        if isinstance(body, httpx2.TransportError):
            log.warning(
                "v2 %s %s: %d, answer cut off (%s)",
                call.method,
                call.path,
                status,
                type(body).__name__,
            )
            return V2Reply(status, headers, None)
        try:
            parsed = json.loads(body)
        except ValueError:
            log.warning("v2 %s %s: %d, body is not JSON", call.method, call.path, status)
            parsed = None
        return V2Reply(status, headers, parsed)

    async def aclose(self) -> None:
        await self.client.aclose()


async def _with_request_id(request: httpx2.Request) -> None:
    _stamp(request)


def _stamp(request: httpx2.Request) -> None:
    """Every upstream call carries the id of the request it serves (not signed: OAuth 1.0a
    signs no header but its own), and is timed for the request's line."""
    request.extensions[SENT] = time.monotonic()
    request_id = REQUEST_ID.get()
    if request_id is not None:
        request.headers["x-request-id"] = request_id


async def _noted(response: httpx2.Response) -> None:
    _note(response.request, response.status_code)


def _note(request: httpx2.Request, status: int) -> None:
    """The call on the line of the request it serves, timed to its answer's head (a
    translated call's: to its whole answer, read at once)."""
    target = request.url.raw_path.decode("latin-1")
    requests_log.called(request.method, target, status, request.extensions[SENT])


async def within(timeout: float, steps: Steps[T], send: Send) -> T:
    """Drive the steps; `UpstreamUnavailable` once `timeout` (SHIM_UPSTREAM_TIMEOUT) has passed."""
    try:
        async with asyncio.timeout(timeout):
            return await drive(steps, send)
    except TimeoutError:
        log.warning("v2 did not answer within %.1f s", timeout)
        raise UpstreamUnavailable from None


async def drive(steps: Steps[T], send: Send) -> T:
    """Run a flow: send each batch it yields concurrently and hand the replies back in order."""
    try:
        batch = next(steps)
        while True:
            replies = await asyncio.gather(*map(send, batch))
            batch = steps.send(tuple(replies))
    except StopIteration as done:
        result: T = done.value
        return result
    except UNREADABLE:
        log.exception("a v2 answer lacked what the flow reads")
        raise UpstreamBroken from None
