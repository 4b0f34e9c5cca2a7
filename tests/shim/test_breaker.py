"""The circuit breaker's states (resilience4j's CircuitBreaker, Envoy's outlier detection):
closed until the failure rate over a sliding window passes its threshold, with a minimum number
of calls before it may; open for a wait; half-open for a few probes, whose successes close it
and whose first failure opens it again. And, through the app, that every way an upstream call
can end reports back to it, once per call."""

import asyncio
import logging
from typing import Any

import httpx2
import pytest

from shim.upstream.breaker import CircuitBreaker
from tests.conftest import MakeClient
from tests.fakes import Answer, FakeV2, sign


def make(**changes: Any) -> tuple[CircuitBreaker, list[float]]:
    """The defaults' shape: a 10 s window, 20 calls at least, 50 %, a 5 s wait, 3 probes."""
    now = [1000.0]
    settings: dict[str, Any] = {
        "window": 10,
        "minimum_calls": 20,
        "failure_rate": 0.5,
        "wait": 5,
        "probes": 3,
        **changes,
    }
    return CircuitBreaker(**settings, clock=lambda: now[0]), now


def calls(breaker: CircuitBreaker, failed: bool, count: int = 1) -> None:
    """`count` calls, each let through and reporting once."""
    for _ in range(count):
        ticket = breaker.allow()
        assert ticket is not None
        breaker.record(ticket, failed)


def tripped(breaker: CircuitBreaker) -> None:
    calls(breaker, failed=True, count=20)
    assert breaker.state == "open"


def test_a_burst_below_the_minimum_number_of_calls_never_opens_it():
    """Issue 24: 17 upstream 503s within 0.14 s refused every client for 10.2 s."""
    breaker, now = make()
    for _ in range(19):
        calls(breaker, failed=True)
        now[0] += 0.007
    assert breaker.state == "closed"
    assert breaker.allow() is not None


def test_it_opens_on_the_failure_rate_over_the_window():
    breaker, _ = make()
    calls(breaker, failed=False, count=11)
    calls(breaker, failed=True, count=9)
    assert breaker.state == "closed"  # 45 % of 20

    calls(breaker, failed=True, count=2)
    assert breaker.state == "open"  # 11 of 22: 50 %
    assert breaker.allow() is None


def test_the_window_slides_so_old_failures_age_out():
    breaker, now = make()
    calls(breaker, failed=True, count=19)
    now[0] += 10.5
    calls(breaker, failed=True, count=19)
    assert breaker.state == "closed"  # never 20 calls within 10 s

    calls(breaker, failed=True)
    assert breaker.state == "open"


def test_successes_in_the_window_keep_it_closed_through_a_blip():
    breaker, now = make()
    for _ in range(100):  # steady traffic: ten calls a second
        calls(breaker, failed=False)
        now[0] += 0.1
    calls(breaker, failed=True, count=17)
    assert breaker.state == "closed"


def test_after_the_wait_a_few_probes_go_through_and_their_successes_close_it():
    breaker, now = make()
    tripped(breaker)
    now[0] += 4.9
    assert breaker.allow() is None
    now[0] += 0.1
    assert breaker.state == "half-open"

    probes = [breaker.allow() for _ in range(3)]
    assert None not in probes
    assert breaker.allow() is None  # three probes at most
    for probe in probes[:2]:
        breaker.record(probe, failed=False)  # type: ignore[arg-type]
    assert breaker.state == "half-open"
    breaker.record(probes[2], failed=False)  # type: ignore[arg-type]
    assert breaker.state == "closed"

    calls(breaker, failed=True, count=19)  # closed afresh: the old window is gone
    assert breaker.state == "closed"


def test_a_failed_probe_opens_it_again_for_another_wait():
    breaker, now = make()
    tripped(breaker)
    now[0] += 5
    first, second = breaker.allow(), breaker.allow()
    breaker.record(first, failed=False)  # type: ignore[arg-type]
    breaker.record(second, failed=True)  # type: ignore[arg-type]
    assert breaker.state == "open"
    now[0] += 4.9
    assert breaker.allow() is None
    now[0] += 0.1
    assert breaker.allow() is not None


def test_a_call_from_before_it_opened_is_no_probe():
    """One call, one outcome, in the state it was let through in: a slow call from before the
    breaker opened cannot close it (or open it again) by ending during the probes."""
    breaker, now = make()
    slow = breaker.allow()
    tripped(breaker)
    now[0] += 5
    probe = breaker.allow()
    for _ in range(3):
        breaker.record(slow, failed=False)  # type: ignore[arg-type]
    assert breaker.state == "half-open"
    breaker.record(slow, failed=True)  # type: ignore[arg-type]
    assert breaker.state == "half-open"
    assert probe is not None


def test_each_transition_is_counted_and_logged_once(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO, "shim.upstream")
    breaker, now = make()
    tripped(breaker)
    now[0] += 5
    assert breaker.state == "half-open"
    assert breaker.state == "half-open"
    calls(breaker, failed=False, count=3)

    assert dict(breaker.transitions) == {"open": 1, "half-open": 1, "closed": 1}
    lines = [r.getMessage() for r in caplog.records if "circuit breaker" in r.getMessage()]
    assert len(lines) == 3, lines
    assert "20 of the last 20 calls failed" in lines[0]


# Through the app: every way a call can end reports back to the breaker.

CREATE = "http://testserver/1.1/mutes/users/create.json?user_id=783214"
STREAM = "http://testserver/1.1/lists/statuses.json"
MUTING = "/2/users/1500000000000000001/muting"


class Slow:
    """The fake v2, but muting answers after `delay` seconds: longer than the deadline."""

    def __init__(self, fake: FakeV2, delay: float) -> None:
        self.fake, self.delay, self.calls = fake, delay, 0

    async def __call__(self, request: httpx2.Request) -> Answer:
        if request.url.path == MUTING or request.url.path.startswith("/1.1/lists/statuses"):
            self.calls += 1
            await asyncio.sleep(self.delay)
        return self.fake(request)


def opened(make_client: MakeClient, fake_v2: FakeV2, delay: float, **changes: Any):
    now = [0.0]
    slow = Slow(fake_v2, delay)
    client = make_client(slow, upstream_timeout=0.3, **changes)
    # Three calls at least (the caller's lookup among them), half of them failed: open; one
    # probe after 10 s.
    breaker = CircuitBreaker(
        window=60, minimum_calls=3, failure_rate=0.5, wait=10, probes=1, clock=lambda: now[0]
    )
    client.app.state.resources.upstream.breaker = breaker  # type: ignore[attr-defined]
    return client, slow, breaker, now


def test_time_outs_count_as_failures(make_client: MakeClient, fake_v2: FakeV2):
    client, slow, breaker, _ = opened(make_client, fake_v2, delay=5)
    for _ in range(2):
        answer = client.post(CREATE, headers=sign("POST", CREATE))
        assert answer.json()["errors"][0]["code"] == 130

    assert breaker.state == "open"
    sent = slow.calls
    assert client.post(CREATE, headers=sign("POST", CREATE)).status_code == 503
    assert slow.calls == sent  # refused at once


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
    for _ in range(3):  # no lookup before a pass-through call: three cut off
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
    assert 'shim_upstream_breaker_transitions_total{to="open"} 1.0' in metrics
    assert "circuit breaker open" in page
