"""A translated endpoint as one record, and `run`, which drives any of them the same way.

The shell derives everything per endpoint from the record (its routes, the names the routing
file may use, how a comparison is made and read, the hostile tests' paths), so it never guesses
from a name. `run` gives a flow only values: the request, and what the shell already knows; it
returns, besides the answer, what the shell should remember; `reusable` tells the shell which
v2 replies it may keep, so the shell never reads a v2 body to decide.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar

from mappings.callers import whoami
from mappings.errors import V11Error, for_access
from mappings.types import (
    Access,
    Caller,
    Flow,
    Known,
    Steps,
    V2Call,
    V2Reply,
    V11Reply,
    V11Request,
)

A = TypeVar("A")
ID = "{id}"
"""In an endpoint's path, the one segment that carries an id (`/1.1/statuses/destroy/{id}.json`):
the route hands it to the flow as the request's `id` parameter."""


NOBODY = Caller("")
"""The caller a flow that never reads one (`Endpoint.anyone`) gets when none is known."""


@cache
def path_pattern(path: str) -> re.Pattern[str]:
    """The exact spelling of a path, its `{id}` any one segment (a route matches no other)."""
    return re.compile(re.escape(path).replace(re.escape(ID), "[^/]+"))


@dataclass(frozen=True, slots=True)
class Endpoint(Generic[A]):
    """One v1.1 endpoint translated to v2.

    `parse` checks the request before any v2 call and turns it into the flow's arguments;
    `flow` yields the v2 calls. `comparable`: compare mode may call both versions, which a
    write allows only when doing it twice leaves what doing it once did (tests/mappings/
    test_endpoints.py holds each comparable write's v2 writes to that). `repeat_v1`: in
    compare mode v1.1 may be called a second time to tell noise from differences (not where
    the first call changed what the second sees).
    `known`: the names of `compare.KNOWN` differences its comparisons may show. `errors`: the
    v1.1 codes its own parameters and lookups can give (authentication and upstream trouble
    come on top, for every endpoint alike). `access`: the kinds of v2 access its calls need
    (each call carries its own), for `shim check` to probe and a refusal to name when no one
    call was refused. `anyone`: the flow never reads its caller (search), so no /2/users/me is
    asked for it, and an app-only bearer token, which names no user, may call it as v1.1's
    app-only reads took one."""

    methods: tuple[str, ...]
    path: str
    parse: Callable[[V11Request, Known], A]
    flow: Callable[[A, Caller], Flow]
    comparable: bool
    repeat_v1: bool
    known: frozenset[str]
    errors: tuple[int, ...]
    access: tuple[Access, ...]
    anyone: bool = False

    @property
    def name(self) -> str:
        """`/1.1/mutes/users/create.json` → `mutes/users/create`, as the routing file names it
        (`statuses/destroy/:id` for a path with an id, as v1.1's documentation wrote it)."""
        return self.path.removeprefix("/1.1/").removesuffix(".json").replace(ID, ":id")


@dataclass(frozen=True, slots=True)
class Done:
    """How a request ended, as data: the answer or the v1.1 error, and the caller v2 named when
    it had to be asked, for the shell to remember (the answer's cursors are in the reply)."""

    reply: V11Reply | None = None
    error: V11Error | None = None
    caller: Caller | None = None

    def answer(self) -> V11Reply:
        """The reply, or the error raised."""
        if self.error is not None:
            raise self.error
        assert self.reply is not None
        return self.reply


def run(endpoint: Endpoint[Any], request: V11Request, known: Known) -> Steps[Done]:
    """Check the request, identify the caller if the shell does not know them (only then, so
    bad input costs no /2/users/me), and play the flow."""
    learned: Caller | None = None
    last: list[tuple[V2Call, V2Reply]] = []  # the latest batch, to name a refused call
    try:
        arguments = endpoint.parse(request, known)
        caller = known.caller
        if caller is None and endpoint.anyone:
            caller = NOBODY
        elif caller is None:
            caller = learned = yield from _watched(whoami(), last)
        reply = yield from _watched(endpoint.flow(arguments, caller), last)
    except V11Error as error:
        refused = next((call for call, got in last if got.status == 403), None)
        kinds = (refused.access,) if refused else endpoint.access
        access = " and ".join(kind.name for kind in kinds)
        error = for_access(error, endpoint.name, access).at(endpoint.path)
        return Done(error=error, caller=learned)
    return Done(reply, caller=learned)


def _watched(steps: Steps[A], last: list[tuple[V2Call, V2Reply]]) -> Steps[A]:
    """The steps as they are, each batch's calls and replies kept in `last`."""
    try:
        calls = next(steps)
        while True:
            replies = yield calls
            last[:] = zip(calls, replies, strict=True)
            calls = steps.send(replies)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def reusable(call: V2Call, reply: V2Reply) -> bool:
    """Whether a reply may answer the same call again, for the shell to keep as it arrives
    (a request cut off later still leaves it usable): a lookup the flow marked cacheable that
    found what it asked for (a missing user may exist a minute later)."""
    return (
        call.cache and reply.status == 200 and isinstance(reply.body, dict) and "data" in reply.body
    )
