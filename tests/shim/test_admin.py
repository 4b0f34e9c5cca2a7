"""The operator's state-changing request, the all-v1 switch, refuses cross-site requests: a page
the operator visits while logged in to the dashboard (basic auth, which the browser replays on
its own) cannot flip it. The dashboard's own form carries a token such a page cannot know."""

import re

import pytest
from starlette.testclient import TestClient

from shim.edge import throttle as throttle_module
from shim.edge.throttle import Throttle
from shim.serving import dashboard
from shim.serving.dashboard import admitted
from tests.conftest import MakeClient

SWITCH = "http://testserver/_shim/all-v1"
TOKEN = "fake-admin-token-of-32-characters"
LOGIN = ("admin", TOKEN)
BEARER = {"Authorization": f"Bearer {TOKEN}"}
PAGES = [f"http://testserver{page}" for page in ("/_shim/stats", "/_shim/", "/metrics")]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def client(make_client: MakeClient):
    return make_client(admin_token=TOKEN)


def switch_is_on(client) -> bool:
    page = client.get("http://testserver/_shim/", auth=LOGIN).text
    return "the all-v1 switch is on" in page


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example", **FORM},
        {"Sec-Fetch-Site": "cross-site", **FORM},
        {"Sec-Fetch-Site": "same-site", **FORM},
        FORM,  # a form with no token, as a page elsewhere would post it
    ],
)
def test_a_cross_site_post_cannot_flip_the_switch(client, headers):
    answer = client.post(SWITCH, auth=LOGIN, headers=headers, content=b"on=true")

    assert answer.status_code == 403
    assert answer.json()["errors"][0]["code"] == 353
    assert not switch_is_on(client)


def test_the_dashboard_form_flips_it(client):
    page = client.get("http://testserver/_shim/", auth=LOGIN).text
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert token is not None
    assert 'action="/_shim/all-v1"' in page

    answer = client.post(
        SWITCH,
        auth=LOGIN,
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin", **FORM},
        content=f"on=true&csrf={token.group(1)}".encode(),
        follow_redirects=False,
    )
    assert answer.status_code == 303  # back to the dashboard
    assert switch_is_on(client)


def test_a_script_with_the_bearer_token_needs_no_form_token(client):
    """A browser never sends a bearer token on its own: such a request is no forgery."""
    answer = client.post(f"{SWITCH}?on=true", headers=BEARER)

    assert answer.json() == {"all_v1": True}
    assert switch_is_on(client)


STATS = "http://testserver/_shim/stats"


def wrong(n: int) -> dict[str, str]:
    return {"Authorization": f"Bearer fake-wrong-guess-{n:032d}"}


def test_wrong_admin_tokens_are_throttled_per_address(make_client: MakeClient, monkeypatch):
    """2,000 wrong guesses took 1.8 s, each one compared: now ten a minute from one address."""
    client = make_client(admin_token=TOKEN)
    compared = []

    def counted(*args: str) -> bool:
        compared.append(args)
        return admitted(*args)

    monkeypatch.setattr(dashboard, "admitted", counted)
    answers = [client.get(page, headers=wrong(n)) for n, page in enumerate(PAGES * 50)]

    assert [a.status_code for a in answers[:10]] == [401] * 10
    assert {(a.status_code, a.json()["errors"][0]["code"]) for a in answers[10:]} == {(429, 88)}
    assert all(0 < int(a.headers["Retry-After"]) <= 60 for a in answers[10:])
    assert len(compared) == 10  # the rest were refused before any comparison
    # Not even the right token from that address, or a guess that is right would show:
    assert client.get(STATS, headers=BEARER).status_code == 429
    other = TestClient(client.app, client=("198.51.100.7", 50000))
    assert other.get(STATS, headers=BEARER).status_code == 200


def test_an_address_may_try_again_after_the_minute():
    clock = FakeClock()
    throttle = Throttle(clock)
    for _ in range(10):
        assert throttle.wait("192.0.2.1") == 0
        throttle.failed("192.0.2.1")

    assert throttle.wait("192.0.2.1") == 60
    clock.now += 45
    assert throttle.wait("192.0.2.1") == 15
    assert throttle.wait("192.0.2.2") == 0
    clock.now += 15
    assert throttle.wait("192.0.2.1") == 0


def test_one_ipv6_network_is_one_address():
    """A host given a /64 holds 2**64 addresses: they share one count."""
    throttle = Throttle(FakeClock())
    for n in range(10):
        throttle.failed(f"2001:db8::{n:x}")

    assert throttle.wait("2001:db8::ffff") > 0
    assert throttle.wait("2001:db8:0:1::1") == 0


def test_the_throttle_remembers_a_bounded_number_of_addresses(monkeypatch):
    monkeypatch.setattr(throttle_module, "ADDRESSES", 100)
    clock = FakeClock()
    throttle = Throttle(clock)
    for n in range(1000):
        throttle.failed(f"10.0.{n // 256}.{n % 256}")

    assert len(throttle) <= 100
    # Beyond the bound, new addresses share one count: the many cannot get more guesses.
    assert throttle.wait("10.9.9.9") > 0
    clock.now += 60
    throttle.failed("10.9.9.9")
    assert len(throttle) <= 100
    assert throttle.wait("10.0.0.1") == 0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
