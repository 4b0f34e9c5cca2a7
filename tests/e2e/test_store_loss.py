"""Issue 24, item 3: Redis coming back empty, or without persistence, under a running `shim
serve`. Before, the replay of a request from before the restart was accepted, nothing was
logged and nothing showed it; now the replay is refused (503, code 130), and the log, /metrics
and `shim check` say why."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.deadlines import until
from tests.e2e.redis_shims import MUTE, Running, code
from tests.fakes import ALICE, FakeV2, FakeV2App, sign, twitter_user
from tests.servers import DURABLE, RedisServer, redis_server, serving
from tests.stored import Stored

pytestmark = pytest.mark.e2e

NOT_DURABLE = ("--save", "", "--appendonly", "no")


@pytest.fixture
def upstream() -> Iterator[str]:
    with serving(FakeV2App(FakeV2(twitter_user()))) as port:
        yield f"http://127.0.0.1:{port}"


@contextmanager
def restarted_empty(
    tmp_path: Path, tls: Any, upstream: str, *settings: str
) -> Iterator[tuple[Running, dict[str, str], RedisServer]]:
    """A shim that served a request, then its Redis restarted with no files (and `settings`),
    and the shim connected again: a request signed now is served. Yields the shim, the
    served request's headers, and the Redis as it came back."""
    folder = tmp_path / "redis"
    folder.mkdir()
    with redis_server(folder, *DURABLE) as served:
        shim = Running(tmp_path / "shim", tls, upstream, served.url)
        headers = sign("POST", shim.url(MUTE))
        assert shim.call(MUTE, headers).status_code == 200
    for left in folder.rglob("*"):
        if left.is_file():
            left.unlink()
    try:
        with redis_server(folder, *settings, port=served.port) as back:
            # The operator (or the user, signing in again) puts the token back: the replay then
            # meets only the nonce check.
            Stored(redis_url=back.url).add(ALICE.token, ALICE.secret)
            until(lambda: shim.call(MUTE).status_code == 200, 10)
            yield shim, headers, back
    finally:
        if shim.process.poll() is None:
            shim.stop()


def test_a_replay_after_redis_came_back_empty_is_refused_and_said(tmp_path, tls, upstream):
    with restarted_empty(tmp_path, tls, upstream, *DURABLE) as (shim, headers, back):
        # Accepted (200) before: its nonce was lost with the data.
        for _ in range(3):
            assert code(shim.call(MUTE, headers)) == (503, 130)
        # An instance started after the loss refuses the same requests (signed for the first
        # one's origin, as behind one balancer).
        origin = shim.url("")
        late = Running(
            tmp_path / "late", tls, upstream, back.url, add=False, SHIM_PUBLIC_URL=origin
        )
        assert code(late.call(MUTE, {**headers})) == (503, 130)
        assert "Traceback" not in late.stop()
        assert "data_lost" in shim.problems()
        assert "lost the shim&#x27;s data" in shim.dashboard()
        assert "Redis lost the shim's data" in shim.check(upstream)
        output = shim.stop()
    assert output.count("Redis lost the shim's data") == 1  # once, not per request
    assert "401, code 89" in output  # why users' tokens are refused
    assert "Traceback" not in output


def test_redis_back_without_persistence_is_said_everywhere(tmp_path, tls, upstream):
    with restarted_empty(tmp_path, tls, upstream, *NOT_DURABLE) as (shim, headers, _):
        assert code(shim.call(MUTE, headers)) == (503, 130)
        assert until(lambda: "not_durable" in shim.problems(), 10)  # the periodic look
        assert "has no persistence" in shim.dashboard()
        assert "Redis has no persistence" in shim.check(upstream)
        output = shim.stop()
    assert output.count("store problem: Redis has no persistence") == 1
    assert "Traceback" not in output
