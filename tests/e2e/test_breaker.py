"""Issue 24, finding 4, against a real `shim serve`: a blip of 17 upstream 503s within 0.14 s
made each instance refuse every request for 10.2 s after the upstream had recovered. A blip
must pass (the next call after it is answered), while a sustained outage still opens the
breaker, which closes again after its probes succeed."""

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.processes import start, stop
from tests.fakes import ALICE, FakeV2, FakeV2App, sign, twitter_user
from tests.servers import serving

ADMIN = "fake-admin-token-for-breaker-of-32-chars"
MUTE = "/1.1/mutes/users/create.json?user_id=783214"
MUTING = f"/2/users/{ALICE.user_id}/muting"


class Outage:
    """The fake v2 on a socket that answers 503 at once, as X's front end does when over
    capacity: to its next `failing` calls (a blip; `recovered` is when the last went out),
    or to every call while `down`."""

    def __init__(self, fake: FakeV2) -> None:
        self.inner = FakeV2App(fake)
        self.failing, self.down = 0, False
        self.calls, self.refused, self.recovered = 0, 0, 0.0

    def recover(self) -> None:
        """End a blip the shim stopped sending calls into before it was over."""
        if self.failing:
            self.failing, self.recovered = 0, time.monotonic()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        self.calls += 1
        if not (self.down or self.failing):
            await self.inner(scope, receive, send)
            return
        self.refused += 1
        if not self.down:
            self.failing -= 1
            if not self.failing:
                self.recovered = time.monotonic()
        head = [(b"content-type", b"text/html")]
        await send({"type": "http.response.start", "status": 503, "headers": head})
        await send({"type": "http.response.body", "body": b"<html>Over capacity</html>"})


class Shim:
    def __init__(self, tmp_path: Path, upstream: str, **env: str) -> None:
        self.process, self.host = start(
            tmp_path, None, upstream, env={"SHIM_ADMIN_TOKEN": ADMIN, **env}
        )

    def mute(self) -> requests.Response:
        url = f"http://{self.host}{MUTE}"
        return requests.post(url, headers=sign("POST", url), timeout=30)

    def metrics(self) -> str:
        url = f"http://{self.host}/metrics"
        return requests.get(url, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=5).text

    def breaker(self) -> str:
        (state,) = re.findall(r'shim_upstream_breaker\{state="([a-z-]+)"\} 1\.0', self.metrics())
        return str(state)

    def transitions(self) -> dict[str, float]:
        found = re.findall(
            r'shim_upstream_breaker_transitions_total\{to="([a-z-]+)"\} (\S+)', self.metrics()
        )
        return {state: float(count) for state, count in found}


@pytest.fixture
def outage() -> Iterator[tuple[str, Outage]]:
    app = Outage(FakeV2(twitter_user()))
    with serving(app) as port:
        yield f"http://127.0.0.1:{port}", app


@pytest.fixture
def shim(tmp_path: Path, outage) -> Iterator[Any]:
    """Start a shim with extra SHIM_* settings: `shim(SHIM_BREAKER_COOLDOWN="1")`."""
    started: list[Shim] = []

    def make(**env: str) -> Shim:
        started.append(Shim(tmp_path, outage[0], **env))
        return started[-1]

    yield make
    for one in started:
        if one.process.poll() is None:
            assert "Traceback" not in stop(one.process)


def first_success(shim: Shim, seconds: float) -> float:
    """When a call first answered 200, polling for `seconds` at most."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if shim.mute().status_code == 200:
            return time.monotonic()
        time.sleep(0.05)
    raise AssertionError(f"no 200 within {seconds} s")


def test_a_blip_of_17_503s_is_not_an_outage(shim, outage):
    """With the default settings, as the soak ran them."""
    _, upstream = outage
    shim = shim()
    assert shim.mute().status_code == 200  # lookups cached, as on a running instance
    upstream.failing = 17
    with ThreadPoolExecutor(20) as clients:  # 20 clients at once meet the blip
        burst = time.monotonic()
        list(clients.map(lambda _: shim.mute(), range(20)))
    upstream.recover()
    assert upstream.refused >= 5  # enough to have opened the old breaker (five in a row)
    assert upstream.recovered - burst < 1

    recovery = first_success(shim, 3) - upstream.recovered
    assert recovery < 1, f"the first 200 came {recovery:.2f} s after the upstream recovered"
    assert shim.transitions().get("open", 0) == 0
    assert "circuit breaker open" not in stop(shim.process)


def test_a_sustained_outage_opens_it_and_three_good_probes_close_it(shim, outage):
    _, upstream = outage
    shim = shim(SHIM_BREAKER_COOLDOWN="1")
    assert shim.mute().status_code == 200
    upstream.down = True
    failed, answered = 0, upstream.calls  # the calls before, within the window too
    deadline = time.monotonic() + 20
    while shim.breaker() == "closed":
        assert time.monotonic() < deadline, "the breaker never opened"
        assert shim.mute().status_code == 503
        failed += 1
    assert failed + answered >= 20  # SHIM_BREAKER_MIN_CALLS: not before 20 calls

    calls, started = upstream.calls, time.monotonic()
    answer = shim.mute()
    assert (answer.status_code, answer.json()["errors"][0]["code"]) == (503, 130)
    assert time.monotonic() - started < 0.5
    assert upstream.calls == calls  # refused at once, never sent

    upstream.down = False
    deadline = time.monotonic() + 3  # SHIM_BREAKER_COOLDOWN is 1 s
    while shim.breaker() != "half-open":
        assert time.monotonic() < deadline, "the breaker never let a probe through"
        time.sleep(0.05)
    assert shim.mute().status_code == 200
    assert shim.breaker() == "half-open"  # one good probe of three
    assert [shim.mute().status_code for _ in range(2)] == [200, 200]
    assert shim.breaker() == "closed"

    assert shim.transitions() == {"closed": 1, "open": 1, "half-open": 1}
    lines = [line for line in stop(shim.process).splitlines() if "circuit breaker" in line]
    assert len(lines) == 3, lines
