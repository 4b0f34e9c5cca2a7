"""One client cannot starve the others: 100 pass-through calls of an endless answer whose client
reads a few bytes and stops once held every upstream connection, and every other user got 130
for as long as that client liked. Real sockets at both ends: the shim under uvicorn, the
upstream a server whose answer never ends."""

import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx2
import pytest

from shim.app import create_app
from shim.config import Settings
from tests.fakes import BOB, CAROL, FakeV2, Streaming, sign, twitter_user
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
        while len(app.state.shell.slots):
            assert time.monotonic() < deadline, "stalled streams still hold the upstream"
            time.sleep(0.1)
    finally:
        for stream in streams:
            stream.close()
