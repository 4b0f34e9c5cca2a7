"""One client cannot starve the others: 100 pass-through calls of an endless answer whose client
reads a few bytes and stops once held every upstream connection, and every other user got 130
for as long as that client liked. Real sockets at both ends: the shim under uvicorn, the
upstream a server whose answer never ends."""

import asyncio
import select
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx2
import pytest

from shim.config import Settings
from shim.serving.app import create_app
from shim.upstream.client import MAX_CONNECTIONS
from tests.fakes import (
    ALICE,
    APP_ONLY,
    BOB,
    CAROL,
    FakeV2,
    FakeV2App,
    Streaming,
    sign,
    twitter_user,
)
from tests.servers import serving

pytestmark = pytest.mark.e2e

ENDLESS = "/1.1/statuses/sample.json"
CHUNK = b"x" * 65_536


@pytest.fixture
def shim(settings: Settings) -> Iterator[tuple[int, Any]]:
    fake = FakeV2(twitter_user())
    with serving(Streaming(fake, ENDLESS, CHUNK)) as upstream_port:
        app = create_app(
            replace(settings, upstream_url=f"http://127.0.0.1:{upstream_port}", upstream_timeout=2)
        )
        with serving(app) as port:
            yield port, app


def stalled_stream(port: int) -> socket.socket:
    """A client that asks for the endless answer, reads its first bytes, and stops reading."""
    client = socket.create_connection(("127.0.0.1", port))
    client.sendall(
        f"GET {ENDLESS} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {CAROL.token}\r\n\r\n".encode()
    )
    return client


def test_a_client_that_stops_reading_cannot_starve_another_user(shim):
    port, app = shim
    streams = [stalled_stream(port) for _ in range(100)]
    try:
        heads = [stream.recv(12) for stream in streams]
        mute = f"http://127.0.0.1:{port}/1.1/mutes/users/create.json?user_id=783214"
        started = time.monotonic()
        answer = httpx2.post(mute, headers=sign("POST", mute, BOB), timeout=10)
        waited = time.monotonic() - started

        assert answer.status_code == 200, answer.text
        assert waited < 1.0
        assert heads.count(b"HTTP/1.1 200") == 20  # SHIM_CALLER_CONCURRENCY
        assert heads.count(b"HTTP/1.1 429") == 80  # v1.1's rate limit, code 88
        # Streams whose client stopped reading are cut off: their slots come back.
        deadline = time.monotonic() + 20
        while len(app.state.resources.slots):
            assert time.monotonic() < deadline, "stalled streams still hold the upstream"
            time.sleep(0.1)
    finally:
        for stream in streams:
            stream.close()


SLOW = "/1.1/lists/statuses.json"
FLOOD = 150  # more than the upstream pool's MAX_CONNECTIONS


class Stuck:
    """The fake v2, but SLOW answers only once the shim hangs up (at most 20 s): each call
    holds one of the shim's upstream connections. `in_flight` counts them, `peak` the most
    at once."""

    def __init__(self, fake: FakeV2) -> None:
        self.inner = FakeV2App(fake)
        self.in_flight = self.calls = self.peak = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != SLOW:
            await self.inner(scope, receive, send)
            return
        self.calls += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            async with asyncio.timeout(20):
                while (await receive())["type"] != "http.disconnect":
                    pass
        except TimeoutError:
            pass
        finally:
            self.in_flight -= 1


def junk_app_only(port: int, n: int) -> socket.socket:
    client = socket.create_connection(("127.0.0.1", port))
    client.sendall(
        f"GET {SLOW} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {APP_ONLY}{n}\r\n\r\n".encode()
    )
    return client


def test_a_flood_of_app_only_tokens_cannot_take_the_upstream_pool(settings: Settings):
    """Each new app-only token was a caller of its own, forwarded unchecked: 150 of them held
    all of the upstream pool's connections and a real user waited for one, or got 503, code
    130, for as long as the flood went on."""
    stuck = Stuck(FakeV2(twitter_user()))
    with serving(stuck) as upstream_port:
        upstream = f"http://127.0.0.1:{upstream_port}"
        app = create_app(replace(settings, upstream_url=upstream, upstream_timeout=3))
        with serving(app) as port:
            flood = [junk_app_only(port, n) for n in range(FLOOD)]
            try:
                # Until each request is answered or holds an upstream connection, or they hold all.
                refused: list[bytes] = []
                waiting, deadline = list(flood), time.monotonic() + 10
                while len(refused) + stuck.in_flight < FLOOD and stuck.in_flight < MAX_CONNECTIONS:
                    assert time.monotonic() < deadline, (len(refused), stuck.in_flight)
                    answered, _, _ = select.select(waiting, [], [], 0.05)
                    refused += [s.recv(12) for s in answered]
                    waiting = [s for s in waiting if s not in answered]

                mute = f"http://127.0.0.1:{port}/1.1/mutes/users/create.json?user_id=783214"
                answer = httpx2.post(mute, headers=sign("POST", mute, ALICE), timeout=10)

                assert answer.status_code == 200, answer.text
                # One address's part of the unverified share, of the pool's 100; the rest
                # refused at once, without an upstream call.
                assert (stuck.peak, stuck.calls) == (5, 5)
                assert refused == [b"HTTP/1.1 429"] * (FLOOD - 5)
            finally:
                for stream in flood:
                    stream.close()
