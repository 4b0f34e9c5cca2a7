"""The circuit breaker's states: closed, open after a run of failures, half-open for one probe;
and, through the app, that every way an upstream call can end reports back to it."""

import asyncio
from typing import Any

import httpx2

from shim.upstream.breaker import CircuitBreaker
from tests.conftest import MakeClient
from tests.fakes import FakeV2, sign


def make() -> tuple[CircuitBreaker, list[float]]:
    now = [0.0]
    return CircuitBreaker(threshold=3, cooldown=10, clock=lambda: now[0]), now


def test_it_opens_after_a_run_of_failures_only():
    breaker, _ = make()
    breaker.failed()
    breaker.failed()
    breaker.succeeded()  # a success ends the run
    breaker.failed()
    breaker.failed()
    assert breaker.allow()

    breaker.failed()
    assert breaker.state == "open"
    assert not breaker.allow()


def test_after_the_cooldown_one_probe_decides():
    breaker, now = make()
    for _ in range(3):
        breaker.failed()
    now[0] += 10

    assert breaker.allow()
    assert not breaker.allow()  # only one probe at a time
    breaker.failed()
    assert breaker.state == "open"

    now[0] += 10
    assert breaker.allow()
    breaker.succeeded()
    assert breaker.state == "closed"
    assert breaker.allow()


# Through the app: every way a call can end reports back to the breaker.

CREATE = "http://testserver/1.1/mutes/users/create.json?user_id=783214"
STREAM = "http://testserver/1.1/lists/statuses.json"
MUTING = "/2/users/1500000000000000001/muting"


class Slow:
    """The fake v2, but muting answers after `delay` seconds: longer than the deadline."""

    def __init__(self, fake: FakeV2, delay: float) -> None:
        self.fake, self.delay, self.calls = fake, delay, 0

    async def __call__(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path == MUTING or request.url.path.startswith("/1.1/lists/statuses"):
            self.calls += 1
            await asyncio.sleep(self.delay)
        return self.fake(request)


def opened(make_client: MakeClient, fake_v2: FakeV2, delay: float, **changes: Any):
    now = [0.0]
    slow = Slow(fake_v2, delay)
    client = make_client(httpx2.MockTransport(slow), upstream_timeout=0.3, **changes)
    breaker = CircuitBreaker(threshold=2, cooldown=10, clock=lambda: now[0])
    client.app.state.resources.upstream.breaker = breaker  # type: ignore[attr-defined]
    return client, slow, breaker, now


def test_time_outs_count_as_failures(make_client: MakeClient, fake_v2: FakeV2):
    client, slow, breaker, _ = opened(make_client, fake_v2, delay=5)
    for _ in range(2):
        answer = client.post(CREATE, headers=sign("POST", CREATE))
        assert answer.json()["errors"][0]["code"] == 130

    assert breaker.state == "open"
    calls = slow.calls
    assert client.post(CREATE, headers=sign("POST", CREATE)).status_code == 503
    assert slow.calls == calls  # refused at once


def test_a_probe_cut_off_by_the_deadline_reopens_the_breaker(
    make_client: MakeClient, fake_v2: FakeV2
):
    """It once left the breaker waiting for a probe that would never report: open forever."""
    client, slow, breaker, now = opened(make_client, fake_v2, delay=5)
    for _ in range(2):
        client.post(CREATE, headers=sign("POST", CREATE))
    now[0] += 10  # half-open: the next call is the probe, and the deadline cuts it off

    assert client.post(CREATE, headers=sign("POST", CREATE)).status_code == 503
    assert breaker.state == "open"

    slow.delay = 0  # the upstream is healthy again
    now[0] += 10
    assert client.post(CREATE, headers=sign("POST", CREATE)).status_code == 200
    assert breaker.state == "closed"


def test_a_pass_through_probe_cut_off_reopens_the_breaker(make_client: MakeClient, fake_v2: FakeV2):
    client, slow, breaker, now = opened(make_client, fake_v2, delay=5)
    for _ in range(2):
        client.get(STREAM, headers=sign("GET", STREAM))
    assert breaker.state == "open"
    now[0] += 10

    assert client.get(STREAM, headers=sign("GET", STREAM)).status_code == 503
    slow.delay = 0
    now[0] += 10
    assert client.get(STREAM, headers=sign("GET", STREAM)).status_code == 200
    assert breaker.state == "closed"


def test_the_breaker_state_is_on_the_metrics_and_the_dashboard(
    make_client: MakeClient, fake_v2: FakeV2
):
    admin_token = "fake-admin-token-of-32-characters"
    client, _, breaker, _ = opened(make_client, fake_v2, delay=5, admin_token=admin_token)
    admin = {"Authorization": "Bearer fake-admin-token-of-32-characters"}
    for _ in range(2):
        client.post(CREATE, headers=sign("POST", CREATE))
    assert breaker.state == "open"

    metrics = client.get("http://testserver/metrics", headers=admin).text
    page = client.get("http://testserver/_shim/", headers=admin).text
    assert 'shim_upstream_breaker{state="open"} 1.0' in metrics
    assert 'shim_upstream_breaker{state="closed"} 0.0' in metrics
    assert "circuit breaker open" in page
