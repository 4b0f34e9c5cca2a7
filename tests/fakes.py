"""The fake X the tests use: the simulated X the sandbox ships (`shim.sandbox`), with v1.1's
own answers (`tests.fake_v11`) and the tests' knobs: the calls it received, canned answers, a
delay. And the credentials the tests use. Every credential here is fake."""

import asyncio
import inspect
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
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


class Fault:
    """What an upstream does instead of answering, done on the real socket: a model's answer
    or a canned one, so the shim meets the failure as it would meet X's."""

    async def act(self, send: Any, receive: Any) -> None:
        raise NotImplementedError


class HangUp(Fault):
    """The connection closed with the request read and nothing answered (a front end dropping
    it, a reset): to the shim, no answer. uvicorn lets an app answer or fail, not hang up, so
    the connection's transport is closed where uvicorn's `send` keeps it."""

    async def act(self, send: Any, receive: Any) -> None:
        send.__self__.transport.close()


class Silence(Fault):
    """No answer at all until the caller gives up waiting (its read deadline), or a minute."""

    async def act(self, send: Any, receive: Any) -> None:
        with suppress(TimeoutError):
            async with asyncio.timeout(60):
                while (await receive())["type"] != "http.disconnect":
                    pass


HANG_UP, SILENCE = HangUp(), Silence()

# What a model of v2 gives for a request: an answer, or a fault, at once or awaited.
Answer = httpx2.Response | Fault
Model = Callable[[httpx2.Request], Answer | Awaitable[Answer]]


class FakeV2(V11):
    """The simulated X with the tests' knobs, knowing ALICE, BOB and OWNER (and CAROL's bearer
    token) as users' credentials.

    `calls` records every request it received, so "no upstream call" is `fake.calls == []`.
    `canned[(method, path)]` overrides the answer: a response, or a `Fault` done on the socket.
    """

    def __init__(
        self,
        *users: dict[str, Any],
        tokens: tuple[Token, ...] = (ALICE, BOB, OWNER),
        bearers: tuple[Token, ...] = (CAROL,),
    ) -> None:
        super().__init__(*users, tokens=tokens, bearers=bearers)
        self.calls: list[httpx2.Request] = []
        self.canned: dict[tuple[str, str], Answer] = {}
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

    # A fault too, where the simulated X only answers: the socket does it (`FakeV2App`).
    def __call__(self, request: httpx2.Request) -> Answer:  # type: ignore[override]
        self.calls.append(request)
        canned = self.canned.get((request.method, request.url.path))
        return canned if canned is not None else super().__call__(request)

    def paths(self) -> list[tuple[str, str]]:
        return [(r.method, r.url.path) for r in self.calls]


class FakeV2App:
    """A model of v2 (the fake, or a test's own around it) as an ASGI app, so the shim reaches
    it over a real socket, the tests' one way to stand in for X. It waits the fake's `delay`
    before answering, counting the calls waiting; `model` may be swapped
    between tests (the session's socket, `tests.conftest.v2_socket`)."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.url = ""  # its base URL, once served
        # Per path: calls waiting on the fake's delay now, and the most there ever were at once.
        self.in_flight: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        model = self.model  # before any wait: the model when the request came, not a later one
        request = await Served.read(scope, receive)
        if request is None:
            return
        answer = (
            await self.answer(model, request) if isinstance(request, httpx2.Request) else request
        )
        if isinstance(answer, Fault):
            await answer.act(send, receive)
        else:
            await Served.send(send, answer)

    async def answer(self, model: Model, request: httpx2.Request) -> Answer:
        path = request.url.path
        self.in_flight[path] += 1
        self.peak[path] = max(self.peak[path], self.in_flight[path])
        try:
            await asyncio.sleep(model.delay if isinstance(model, FakeV2) else 0.0)
        finally:
            self.in_flight[path] -= 1
        answer = model(request)
        return await answer if inspect.isawaitable(answer) else answer


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
def serving_fake(model: Model) -> Iterator[str]:
    """Serve a model of v2 over plain HTTP on a free loopback port; yields its base URL."""
    app = FakeV2App(model)
    with serving(app) as port:
        app.url = f"http://127.0.0.1:{port}"
        yield app.url


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
