"""Work no user credential vouches for (app-only tokens passed on unchecked, the /2/users/me
that checks a new bearer token, sign-in's request_token and access_token, signed with keys every
client holds) shares one bounded part of the upstream, and within it a part per client address:
a flood of it cannot take what verified users need. Past its share, 429 code 88, at once, before
any upstream call. The app in process; the fake upstream, on its socket, holds the flood's calls
until let go."""

import asyncio
import threading
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

import httpx2
import pytest

from shim.config import ConfigError, Settings
from shim.serving.app import create_app
from tests.fakes import ALICE, APP_ONLY, CAROL, Answer, FakeV2, FakeV2App, sign, twitter_user

BASE = "http://testserver:8000"  # a port of its own: ASGITransport names no default one
TIMELINE = "/1.1/lists/statuses.json"
REQUEST_TOKEN = "/oauth/request_token"
ME = "/2/users/me"
FLOODED = (TIMELINE, REQUEST_TOKEN, ME)
CREATE = f"{BASE}/1.1/mutes/users/create.json?user_id=783214"
TOTAL, PER_ADDRESS = 20, 5  # the defaults, SHIM_UNVERIFIED_CONCURRENCY and …_PER_ADDRESS
FLOOD = 60


class Held:
    """The fake v2, but calls to the flood's paths wait until `go` is set: a slow upstream
    holding a connection each. `waiting` counts them. (A threading.Event: the fake answers on
    its socket's thread, the test lets go from its own.)"""

    def __init__(self, fake: FakeV2) -> None:
        self.fake = fake
        self.waiting = 0
        self.go = threading.Event()

    async def __call__(self, request: httpx2.Request) -> Answer:
        if request.url.path in FLOODED:
            self.waiting += 1
            async with asyncio.timeout(30):
                while not self.go.is_set():
                    await asyncio.sleep(0.01)
        return self.fake(request)


Send = Callable[[httpx2.AsyncClient, int], Coroutine[Any, Any, httpx2.Response]]


async def app_only(client: httpx2.AsyncClient, n: int) -> httpx2.Response:
    """A new app-only token each time: each once was a caller of its own."""
    return await client.get(TIMELINE, headers={"Authorization": f"Bearer {APP_ONLY}{n}"})


async def junk_bearer(client: httpx2.AsyncClient, n: int) -> httpx2.Response:
    """A new bearer token each time: each costs v2's word on it."""
    return await client.get(TIMELINE, headers={"Authorization": f"Bearer fake-junk-{n}"})


async def request_token(client: httpx2.AsyncClient, n: int) -> httpx2.Response:
    """Sign-in's first step, signed with the app's keys alone."""
    url = BASE + REQUEST_TOKEN
    return await client.post(url, headers=sign("POST", url, None, callback="oob"))


def refused(response: httpx2.Response) -> bool:
    if response.status_code != 429:
        return False
    assert response.json() == {"errors": [{"code": 88, "message": "Rate limit exceeded."}]}
    return True


async def settle(held: Held, tasks: list[asyncio.Task[httpx2.Response]]) -> None:
    """Wait until every request of the flood is either answered or held at the upstream."""
    async with asyncio.timeout(20):
        while sum(task.done() for task in tasks) + held.waiting < len(tasks):
            await asyncio.sleep(0.01)


def flood(
    settings: Settings,
    served_v2: FakeV2App,
    send: Send,
    addresses: int,
    network: str = "198.51.100.{}",
) -> dict[str, object]:
    """FLOOD requests from each of `addresses` client addresses in `network`; while the upstream
    holds what it was given, a verified user mutes; then the upstream lets go."""
    fake = FakeV2(twitter_user())
    found: dict[str, object] = {}

    async def run() -> None:
        held = served_v2.model = Held(fake)
        app = create_app(replace(settings, upstream_timeout=30))
        clients = [
            httpx2.AsyncClient(
                transport=httpx2.ASGITransport(app, client=(network.format(a), 4000)),
                base_url=BASE,
                timeout=30,
            )
            for a in range(1, addresses + 1)
        ]
        tasks = [
            asyncio.create_task(send(client, a * FLOOD + n))
            for a, client in enumerate(clients)
            for n in range(FLOOD)
        ]
        await settle(held, tasks)
        found["refused"] = sum(refused(task.result()) for task in tasks if task.done())
        found["at the upstream"] = held.waiting
        user = await clients[0].post(CREATE, headers=sign("POST", CREATE, ALICE))
        found["user"] = user.status_code
        held.go.set()
        answers = await asyncio.gather(*tasks)
        found["answered"] = sorted({a.status_code for a in answers if a.status_code != 429})
        found["upstream calls"] = sum(r.url.path in FLOODED for r in fake.calls)
        found["slots left"] = len(app.state.resources.unverified)
        for client in clients:
            await client.aclose()
        await app.state.resources.aclose()

    asyncio.run(run())
    return found


@pytest.mark.parametrize(
    ("send", "answered"),
    # The fake v2 knows neither the app-only nor the junk tokens; it grants request tokens.
    [(app_only, [401]), (junk_bearer, [401]), (request_token, [200])],
)
def test_one_address_gets_its_share_of_unverified_work(
    settings: Settings, served_v2: FakeV2App, send, answered
):
    found = flood(settings, served_v2, send, addresses=1)

    assert found == {
        "at the upstream": PER_ADDRESS,
        "upstream calls": PER_ADDRESS,  # nothing refused ever reached it
        "refused": FLOOD - PER_ADDRESS,
        "user": 200,
        "answered": answered,
        "slots left": 0,
    }


def test_many_addresses_share_one_bound(settings: Settings, served_v2: FakeV2App):
    found = flood(settings, served_v2, app_only, addresses=6)

    assert (found["at the upstream"], found["upstream calls"]) == (TOTAL, TOTAL)
    assert found["refused"] == 6 * FLOOD - TOTAL
    assert found["user"] == 200


def test_an_ipv6_slash_64_is_one_address(settings: Settings, served_v2: FakeV2App):
    """One host is commonly given a whole /64: its addresses are one client's."""
    found = flood(settings, served_v2, app_only, addresses=3, network="2001:db8:0:1::{}")

    assert (found["at the upstream"], found["refused"]) == (PER_ADDRESS, 3 * FLOOD - PER_ADDRESS)


def test_the_shares_are_settings():
    settings = Settings.from_env(
        {"SHIM_UNVERIFIED_CONCURRENCY": "8", "SHIM_UNVERIFIED_PER_ADDRESS": "2"}
    )
    assert (settings.unverified_concurrency, settings.unverified_per_address) == (8, 2)
    assert (Settings().unverified_concurrency, Settings().unverified_per_address) == (
        TOTAL,
        PER_ADDRESS,
    )


@pytest.mark.parametrize(
    "env",
    [
        {"SHIM_UNVERIFIED_CONCURRENCY": "0"},
        {"SHIM_UNVERIFIED_CONCURRENCY": "51"},  # more than half the upstream pool
        {"SHIM_UNVERIFIED_PER_ADDRESS": "0"},
        {"SHIM_UNVERIFIED_CONCURRENCY": "4", "SHIM_UNVERIFIED_PER_ADDRESS": "5"},
        {"SHIM_UNVERIFIED_PER_ADDRESS": "many"},
    ],
)
def test_shares_out_of_bounds_are_refused(env):
    with pytest.raises(ConfigError, match="SHIM_UNVERIFIED_"):
        Settings.from_env(env)


def test_one_check_of_a_new_bearer_token_serves_all_its_requests(
    settings: Settings, served_v2: FakeV2App
):
    """A client's first burst with a new token waits for one /2/users/me, not one each (which
    would also have taken the unverified share and refused most of the burst)."""
    fake = FakeV2(twitter_user())
    bearer = {"Authorization": f"Bearer {CAROL.token}"}
    burst = settings.caller_concurrency  # all at once, within the caller's own share
    entered = 0

    async def run() -> list[int]:
        held = served_v2.model = Held(fake)
        app = create_app(replace(settings, upstream_timeout=30))

        async def counting(scope, receive, send) -> None:
            nonlocal entered
            entered += scope["type"] == "http"
            await app(scope, receive, send)

        transport = httpx2.ASGITransport(counting, client=("198.51.100.1", 4000))
        async with httpx2.AsyncClient(transport=transport, base_url=BASE, timeout=30) as client:
            requests = [client.get(TIMELINE, headers=bearer) for _ in range(burst)]
            tasks = [asyncio.create_task(request) for request in requests]
            async with asyncio.timeout(20):
                while entered < burst or not held.waiting:
                    await asyncio.sleep(0.01)
            await asyncio.sleep(0.2)  # for the last to reach the check; later ones find it done
            held.go.set()
            answers = await asyncio.gather(*tasks)
        await app.state.resources.aclose()
        return [answer.status_code for answer in answers]

    assert asyncio.run(run()) == [200] * burst
    assert fake.paths().count(("GET", ME)) == 1
