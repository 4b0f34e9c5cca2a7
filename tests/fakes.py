"""The fake X the tests use: the simulated X the sandbox ships (`shim.sandbox`), with v1.1's
own answers (`tests.fake_v11`) and the tests' knobs: the calls it received, canned answers, a
delay. And the credentials the tests use. Every credential here is fake."""

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from typing import Any

import httpx2
from oauthlib.oauth1 import Client

from shim.sandbox.answers import (
    CONSUMER_KEY,
    CONSUMER_SECRET,
    DAVE,
    ERRORS,
    NOT_AUTHORIZED,
    REQUEST_TOKEN,
    VERIFIER,
    Token,
    minimal_user,
    not_found,
    rate_limits,
    tweet_missing,
    v2_response,
)
from shim.sandbox.server import Served
from tests.fake_v11 import V11, V11_TWITTER, load
from tests.servers import serving

__all__ = [
    "CONSUMER_KEY",
    "CONSUMER_SECRET",
    "DAVE",
    "ERRORS",
    "NOT_AUTHORIZED",
    "REQUEST_TOKEN",
    "V11_TWITTER",
    "VERIFIER",
    "Token",
    "load",
    "minimal_user",
    "not_found",
    "rate_limits",
    "tweet_missing",
    "v2_response",
]

# A token carrying its user id, as Twitter's do, and one that does not (the shim asks /2/users/me).
ALICE = Token(
    "1500000000000000001-" + "fake" * 10, "fake-token-secret-alice", "1500000000000000001"
)
BOB = Token("faketokenwithoutuserid" + "x" * 18, "fake-token-secret-bob", "1500000000000000002")
# An OAuth 2.0 user token: no secret, no id in it. And an app-only one, which names no user.
CAROL = Token("fake-oauth2-user-token-carol", "", "1500000000000000003")
APP_ONLY = "AAAAAAAAAAAAAAAAAAAAAFAKEappOnlyToken%3Dfake"
# The @Twitter account's own token: the one caller whose v1.1 user object the reference has.
OWNER = Token("783214-" + "fake" * 10, "fake-token-secret-owner", "783214")


def twitter_user() -> dict[str, Any]:
    """@Twitter as the v2 user lookup the shim asks for (tests/data/README.md)."""
    return load("twitter_v2_user.json")  # type: ignore[no-any-return]


def concrete(path: str) -> str:
    """A route's path as a client sends it: an id where the path takes one (`{id}`)."""
    return path.replace("{id}", "20")


class FakeV2(V11):
    """The simulated X with the tests' knobs, knowing ALICE, BOB and OWNER (and CAROL's bearer
    token) as users' credentials.

    `calls` records every request it received, so "no upstream call" is `fake.calls == []`.
    `canned[(method, path)]` overrides the answer: a response to return or an exception to raise.
    """

    def __init__(
        self,
        *users: dict[str, Any],
        tokens: tuple[Token, ...] = (ALICE, BOB, OWNER),
        bearers: tuple[Token, ...] = (CAROL,),
    ) -> None:
        super().__init__(*users, tokens=tokens, bearers=bearers)
        self.calls: list[httpx2.Request] = []
        self.canned: dict[tuple[str, str], httpx2.Response | Exception] = {}
        self.seeded = frozenset(self.related["following"])
        self.seeded_statuses = deepcopy(self.statuses)
        self.delay = 0.0  # seconds the socket-served fake waits before answering

    def forget(self) -> None:
        """Back to how it started: no calls seen, no relations but the seeded follows, no
        Tweets but its users' own."""
        self.calls.clear()
        self.canned.clear()
        self.muted.clear()
        self.related["blocking"].clear()
        self.related["following"] = set(self.seeded)
        self.requested.clear()
        self.likes.clear()
        self.statuses = deepcopy(self.seeded_statuses)
        self.uploads.forget()

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.calls.append(request)
        canned = self.canned.get((request.method, request.url.path))
        if isinstance(canned, Exception):
            raise canned
        if canned is not None:
            return canned
        return super().__call__(request)

    def paths(self) -> list[tuple[str, str]]:
        return [(r.method, r.url.path) for r in self.calls]


class FakeV2App(Served):
    """The fake v2 as an ASGI app, so the shim reaches it over a real socket; it waits the
    fake's `delay` before answering, counting the calls waiting."""

    def __init__(self, fake: FakeV2) -> None:
        super().__init__(fake)
        self.fake = fake
        # Per path: calls waiting on the fake's delay now, and the most there ever were at once.
        self.in_flight: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()

    async def answer(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        self.in_flight[path] += 1
        self.peak[path] = max(self.peak[path], self.in_flight[path])
        try:
            await asyncio.sleep(self.fake.delay)
        finally:
            self.in_flight[path] -= 1
        return self.fake(request)


class Streaming:
    """The fake v2, but `path`'s answer is `chunk` after `chunk`, each `gap` seconds after the
    last, until the shim hangs up: an endless stream, or (with a gap) a trickling upstream."""

    def __init__(self, fake: FakeV2, path: str, chunk: bytes, gap: float = 0.0) -> None:
        self.inner = FakeV2App(fake)
        self.path, self.chunk, self.gap = path, chunk, gap

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.inner(scope, receive, send)
            return
        gone = asyncio.Event()

        async def listen() -> None:  # uvicorn's send does not fail once the peer has gone
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        listener = asyncio.create_task(listen())
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for _ in range(100_000):  # bounded, as every loop in a test is
            if gone.is_set():
                break
            await send({"type": "http.response.body", "body": self.chunk, "more_body": True})
            await asyncio.sleep(self.gap)
        listener.cancel()


@contextmanager
def serving_fake(fake: FakeV2) -> Iterator[str]:
    """Serve the fake v2 over plain HTTP on a free loopback port; yields its base URL."""
    with serving(FakeV2App(fake)) as port:
        yield f"http://127.0.0.1:{port}"


# Compare mode for both changes: create served by v1.1, destroy by v2.
COMPARE_ROUTING = """
[routes."mutes/users/create"]
mode = "compare"
primary = "v1"

[routes."mutes/users/destroy"]
mode = "compare"
primary = "v2"
"""


def sign(
    method: str,
    url: str,
    token: Token | None = ALICE,
    *,
    form: dict[str, str] | None = None,
    consumer_secret: str = CONSUMER_SECRET,
    timestamp: str | None = None,
    nonce: str | None = None,
    callback: str | None = None,
    verifier: str | None = None,
) -> dict[str, str]:
    """Headers for a request signed as a legacy client signs it; a form body is part of it."""
    client = Client(
        CONSUMER_KEY,
        client_secret=consumer_secret,
        resource_owner_key=token.token if token else None,
        resource_owner_secret=token.secret if token else None,
        timestamp=timestamp,
        nonce=nonce,
        callback_uri=callback,
        verifier=verifier,
    )
    body = str(httpx2.QueryParams(form)) if form else None
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if form else {}
    _, signed, _ = client.sign(url, method, body, headers)
    return dict(signed)
