"""Fault injection: the upstream fails in each way it can; every case is a v1.1 answer in time."""

import time

import httpx2
import pytest

from shim.upstream.breaker import CircuitBreaker
from tests.conftest import MakeClient
from tests.fakes import HANG_UP, Answer, FakeV2, sign, v2_response

CREATE = "http://testserver/1.1/mutes/users/create.json?user_id=783214"
UPDATE = "http://testserver/1.1/account/update_profile.json?description=hi"
OVER = httpx2.Response(503, text="<html>Over capacity</html>")
LIMITS = {
    "x-rate-limit-limit": "50",
    "x-rate-limit-remaining": "0",
    "x-rate-limit-reset": "1700000000",
}


class Script:
    """Answers from a script for one path, the fake v2 for everything else; counts the tries."""

    def __init__(self, fake: FakeV2, path: str, *answers: Answer) -> None:
        self.fake, self.path, self.answers, self.tries = fake, path, list(answers), 0

    def __call__(self, request: httpx2.Request) -> Answer:
        if request.url.path != self.path:
            return self.fake(request)
        self.tries += 1
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def run(make_client: MakeClient, script: Script, url: str = CREATE):
    client = make_client(script)
    started = time.monotonic()
    response = client.post(url, headers=sign("POST", url))
    return response, time.monotonic() - started


def code(response) -> tuple[int, int]:
    return response.status_code, response.json()["errors"][0]["code"]


MUTING = "/2/users/1500000000000000001/muting"


def test_503_once_then_success(make_client: MakeClient, fake_v2: FakeV2):
    script = Script(fake_v2, MUTING, OVER, v2_response(200, {"data": {"muting": True}}))
    response, _ = run(make_client, script)

    assert response.status_code == 200
    assert response.json()["muting"] is True
    assert script.tries == 2


def test_persistent_503_is_over_capacity_after_bounded_tries(make_client, fake_v2):
    script = Script(fake_v2, MUTING, OVER)
    response, took = run(make_client, script)

    assert code(response) == (503, 130)
    assert script.tries == 3  # the first try and two retries
    assert took < 2


def test_429_is_not_retried_and_passes_its_reset_on(make_client, fake_v2):
    script = Script(fake_v2, MUTING, v2_response(429, {"title": "Too Many Requests"}, **LIMITS))
    response, _ = run(make_client, script)

    assert code(response) == (429, 88)
    assert response.headers["x-rate-limit-reset"] == "1700000000"
    assert script.tries == 1


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (HANG_UP, (503, 130)),
        (httpx2.Response(502, text="<html><h1>502 Bad Gateway</h1></html>"), (503, 130)),
        (httpx2.Response(500, text="<html>Internal Server Error</html>"), (500, 131)),
        (httpx2.Response(200, text='{"data": {"muting": tr'), (500, 131)),
    ],
)
def test_each_failure_is_a_v11_error(make_client, fake_v2, failure, expected):
    response, took = run(make_client, Script(fake_v2, MUTING, failure))

    assert code(response) == expected
    assert took < 2


def test_a_pass_through_call_is_never_retried(make_client, fake_v2):
    """The shim cannot know whether an arbitrary call is safe to repeat."""
    script = Script(fake_v2, "/1.1/account/update_profile.json", OVER, v2_response(200, {}))
    response, _ = run(make_client, script, UPDATE)

    assert response.status_code == 503
    assert script.tries == 1


def strict(now: list[float]) -> CircuitBreaker:
    """Open once half of three calls or more in a minute have failed (the caller's lookup, which
    succeeds, among them); one probe after 30 s."""
    return CircuitBreaker(
        window=60, minimum_calls=3, failure_rate=0.5, wait=30, probes=1, clock=lambda: now[0]
    )


def test_an_open_breaker_answers_at_once_without_calling(make_client, fake_v2):
    now = [0.0]
    breaker = strict(now)
    script = Script(fake_v2, MUTING, HANG_UP)
    client = make_client(script)
    client.app.state.resources.upstream.breaker = breaker

    for _ in range(2):
        assert code(client.post(CREATE, headers=sign("POST", CREATE))) == (503, 130)
    tries = script.tries
    refused = client.post(CREATE, headers=sign("POST", CREATE))

    assert code(refused) == (503, 130)
    assert breaker.state == "open"
    assert script.tries == tries  # the third request never reached the upstream

    script.answers = [v2_response(200, {"data": {"muting": True}})]
    now[0] += 31
    probe = client.post(CREATE, headers=sign("POST", CREATE))
    assert probe.status_code == 200
    assert breaker.state == "closed"


def test_a_retried_call_is_one_outcome_to_the_breaker(make_client, fake_v2):
    """Issue 24: each retry counted as a failure of its own, so a few clients' calls during a
    blip opened the breaker; a call and its retries are one call, ending as its last try ends."""
    now = [0.0]
    breaker = strict(now)
    script = Script(fake_v2, MUTING, OVER)
    client = make_client(script)
    client.app.state.resources.upstream.breaker = breaker

    assert code(client.post(CREATE, headers=sign("POST", CREATE))) == (503, 130)
    assert script.tries == 3
    assert breaker.state == "closed"  # the lookup and one failed call: two of three

    script.answers = [OVER, v2_response(200, {"data": {"muting": True}})]
    assert client.post(CREATE, headers=sign("POST", CREATE)).status_code == 200
    assert breaker.state == "closed"  # a success, after a 503 the retry made up for
