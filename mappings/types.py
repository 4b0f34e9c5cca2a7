"""The values that cross between the shell and the pure translation core.

A flow takes a `V11Request` and what the shell already `Known`s, yields batches of `V2Call`s,
receives the matching `V2Reply`s and returns a `V11Reply`. Nothing here does I/O.
"""

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class V11Request:
    """A legacy request as the client sent it: method, path and its query plus form parameters."""

    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()

    def param(self, name: str) -> str | None:
        """The first value of a parameter, or None when absent."""
        return next((value for key, value in self.params if key == name), None)


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated user on whose behalf the shim calls v2."""

    user_id: str


@dataclass(frozen=True, slots=True)
class Access:
    """A kind of v2 access, as the tiers grant it and a token's permissions allow it: its name
    as refusals and `shim check` say it, whether it changes anything, and for a read the
    harmless call `shim check` probes it with (`{id}` and `{username}` stand for the checked
    token's user). Writes have no probe: a probe must change nothing."""

    name: str
    write: bool
    probe: str = ""


@dataclass(frozen=True, slots=True)
class V2Call:
    """One request to API v2, as data; `access` is the kind of access it needs (its builder
    says, so a refusal names it), `cache` marks a lookup whose answer may be reused a while,
    `repeatable` a call that is safe to send again though its method is not (mute is)."""

    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    json: Mapping[str, object] | None = None
    cache: bool = False
    repeatable: bool = False
    access: Access = field(kw_only=True)

    @property
    def idempotent(self) -> bool:
        """Whether sending it twice does no more than sending it once."""
        return self.repeatable or self.method in ("GET", "HEAD", "PUT", "DELETE")


NO_ANSWER = 0
"""`V2Reply.status` when no HTTP answer arrived: time-out, refused or broken connection."""


@dataclass(frozen=True, slots=True)
class V2Reply:
    """What v2 answered; `body` is the decoded JSON, or None when it was absent or not JSON."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: object = None


@dataclass(frozen=True, slots=True)
class V11Reply:
    """The answer the legacy client gets, and the v1.1 cursors it hands out (cursor → v2 token)."""

    status: int
    body: object
    headers: Mapping[str, str] = field(default_factory=dict)
    cursors: Mapping[str, str] = field(default_factory=dict)


Steps = Generator[tuple[V2Call, ...], tuple[V2Reply, ...], T]
"""Yield a batch of independent v2 calls, receive their replies in order, repeat, return a T."""


@dataclass(frozen=True, slots=True)
class Known:
    """What the shell already knows for a request, as values: the caller when it has learned who
    the token belongs to, and the v2 page token the request's cursor stands for."""

    caller: Caller | None = None
    cursors: Mapping[str, str] = field(default_factory=dict)


Flow = Steps[V11Reply]
"""The steps of one v1.1 endpoint: they end in the reply the legacy client gets."""
