"""What a request may be, judged before anything routes or reads it: its path must already be
normal and name a translated endpoint in one spelling only, and its body is bounded in size (a
declared Content-Length over the limit is refused at once, a body sent without one is cut off
once it passes it) and in time (the whole body within SHIM_READ_TIMEOUT of its first read, so a
client cannot hold a request open by trickling it)."""

import asyncio
import posixpath
import re
import unicodedata
from collections.abc import Mapping
from urllib.parse import quote, unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mappings import ENDPOINTS
from mappings.endpoints import ID, path_pattern
from mappings.params import number
from mappings.unserved import UNSERVED, pattern
from mappings.uploads import METADATA, UPLOAD
from shim.credentials.upstream_auth import FORM
from shim.errors import (
    BadQuery,
    BodyTooLarge,
    BodyTooSlow,
    NoSuchPage,
    Refused,
    TooManyParameters,
    rendered,
)

MOST_PARAMETERS = 256
"""Pairs a request's query and form body may hold together. A v1.1 call takes a few dozen at
most, and each pair is parsed, sorted and percent-encoded before a signature can be checked:
100,000 small pairs under a known token's wrong signature held the event loop a third of a
second."""


class BodyLimit:
    """ASGI middleware refusing bodies over `limit` bytes (413) or slower than `timeout` seconds
    in all (408), with v1.1's error shape. A multipart body to one of the `uploads` paths has
    that path's limit instead, and `timeout` for each chunk: media is streamed on as it comes
    (`shim.serving.media`), and a slow link may take minutes over a video's few MB."""

    def __init__(
        self, app: ASGIApp, limit: int, timeout: float, uploads: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.limit = limit
        self.timeout = timeout
        self.uploads = uploads or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        limit, per_chunk = self.limit, False
        if headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data"):
            limit = self.uploads.get(scope["path"], limit)
            per_chunk = scope["path"] in self.uploads
        declared = number(headers.get(b"content-length", b"0").decode("latin-1"))
        if declared is not None and declared > limit:
            await rendered(BodyTooLarge())(scope, receive, send)
            return
        seen, done = 0, False
        loop = asyncio.get_running_loop()
        due = loop.time() + self.timeout

        async def counted() -> Message:
            nonlocal seen, done
            if done:  # after the body, a receive waits for the disconnect: no deadline
                return await receive()
            try:
                async with asyncio.timeout_at(loop.time() + self.timeout if per_chunk else due):
                    message = await receive()
            except TimeoutError:
                raise BodyTooSlow from None
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge
            done = not message.get("more_body", False)
            return message

        await self.app(scope, counted, send)


def count_parameters(scope: Scope, body: bytes) -> None:
    """Refuse a request whose query and form body hold more than MOST_PARAMETERS pairs, before
    anything reads them: counting separators is one pass in C over what the limits allow."""
    query = scope["query_string"]
    pairs = query.count(b"&") + 1 if query else 0
    content_type = dict(scope["headers"]).get(b"content-type", b"")
    if content_type.startswith(FORM.encode()) and body:
        pairs += body.count(b"&") + 1
    if pairs > MOST_PARAMETERS:
        raise TooManyParameters


def is_normal(path: str) -> bool:
    """Whether the (percent-decoded) path is already what a server resolving dot segments and
    empty segments would make of it: `/1.1/../x` is not, nor `/1.1/./a` or `/1.1//a`."""
    resolved = posixpath.normpath(path)
    if path.endswith("/") and resolved != "/":
        resolved += "/"
    return resolved == path and "//" not in path


def target(scope: Scope) -> tuple[str, str]:
    """The path and query as the request line gave them, still percent-encoded: what the shim
    verifies, routes on and forwards, so no two of them can differ (request.url cannot serve:
    Starlette rebuilds it with the Host header, and 1.0.0 read its path from there)."""
    raw = scope.get("raw_path") or quote(scope["path"]).encode()
    return raw.decode("latin-1"), scope["query_string"].decode("latin-1")


# A path as it came holds only RFC 3986's path characters; a query, only printable ASCII
# but `#`. Past the fence both are ASCII, so they are forwarded as the bytes verified.
PATH = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*")
QUERY = re.compile(r"[!-\"$-~]*")
# An encoded '/', '\' or '%': a server that decodes them (once more) reads another path.
AMBIGUOUS = re.compile(r"%(?:2[Ff]|5[Cc]|25)")


def _folded(text: str) -> str:
    """`text` in lower case as a lenient server might compare it: Unicode-normalised (NFKC),
    and a letter whose other case is ASCII (U+017F long s, U+0131 dotless i, the Kelvin sign)
    taken as that letter."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        text = "".join(next((c for c in (c.lower(), c.upper()) if c.isascii()), c) for c in text)
    return text.lower()


def named(path: str) -> tuple[str, ...]:
    """The segments of a decoded path as a lenient server might match them: case-blind,
    without `;parameters`, blanks, trailing dots, empty segments or the last segment's
    extension."""
    segments = [_folded(part.split(";", 1)[0]).strip().rstrip(".") for part in path.split("/")]
    segments = [part for part in segments if part]
    return (*segments[:-1], segments[-1].split(".", 1)[0]) if segments else ()


# The paths the shim routes itself, translated or answered here as v2 cannot serve them, each
# as a server reading leniently would name it (an id's segment, `{id}`, standing for any one)
# and as the one spelling the shim's route matches.
ROUTED = [endpoint.path for endpoint in ENDPOINTS] + [pattern(p) for _, p in UNSERVED]
ROUTED += [UPLOAD, METADATA]
SHAPES = [(named(path), path_pattern(path)) for path in ROUTED]


def routed_spelling(path: str) -> re.Pattern[str] | None:
    """The exact spelling of the routed endpoint a path names, in whatever spelling, if any."""
    segments = named(path)
    for shape, exact in SHAPES:
        if len(shape) == len(segments) and all(
            want in (ID, got) for want, got in zip(shape, segments, strict=True)
        ):
            return exact
    return None


def fenced(scope: Scope) -> Refused | None:
    """Why a request's target is refused, if it is: a path a server could read another way
    than the shim does (not normal, ambiguous, a translated endpoint in another spelling),
    or a query that is not plain ASCII."""
    path, query = target(scope)
    if not QUERY.fullmatch(query):
        return BadQuery()
    if not PATH.fullmatch(path) or AMBIGUOUS.search(path):
        return NoSuchPage()
    decoded = unquote(path, encoding="latin-1")
    exact = routed_spelling(unquote(path))  # as UTF-8, as the upstream decodes a name
    if not is_normal(decoded) or (exact is not None and not exact.fullmatch(path)):
        return NoSuchPage()
    return None


class PathFence:
    """ASGI middleware refusing a request whose path or query is fenced: it would reach another
    page of the upstream than the one the shim routed, or a translated endpoint by another
    name, whatever the routing says."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = fenced(scope) if scope["type"] == "http" else None
        if error is not None:
            await rendered(error)(scope, receive, send)
            return
        await self.app(scope, receive, send)
