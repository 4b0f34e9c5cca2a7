"""The shell's own failures, by cause, and the one table that answers each as v1.1 would.

A flow's refusals are the core's `V11Error`s, passed on as they are. What goes wrong in the shell
itself is raised by what happened, as httpx raises `ReadTimeout` rather than a status, and
`answer` turns it into v1.1's status, code, message and headers where the answer is written: the
app's exception handlers (`shim.serving.app`), and before the app runs, `shim.edge.limits`'s
middlewares and `shim.edge.server`'s answers written before a request is read:

    ShellError
    ├── Busy
    ├── AtCapacity
    ├── StoreUnavailable
    ├── UpstreamUnavailable
    ├── UpstreamBroken
    ├── Internal
    └── Refused
        ├── BodyTooLarge, BodyTooSlow, HeadTooLarge, TooManyParameters, BadQuery, BadMultipart
        ├── BadHeader, BadOverride, NoSuchPage, CrossSite, NotHTTP
        └── Unauthenticated
            └── BadAuthData, NotAuthenticated, UnknownToken, StaleTimestamp, AppOnly
"""

from collections.abc import Mapping

from starlette.responses import Response

from mappings.errors import V11Error
from shim.responses import render


class ShellError(Exception):
    """A failure of the shell itself, named by its cause; `ANSWERS` says what v1.1 answers."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: Mapping[str, str] = {}  # what this one failure adds to its cause's answer


class Busy(ShellError):
    """A share is used up: the caller's or the unverified share of the upstream, the
    comparisons' budget, or an address's tries at the admin token (which says when to retry)."""

    def __init__(self, retry_after: int | None = None) -> None:
        super().__init__()
        if retry_after is not None:
            self.headers = {"Retry-After": str(retry_after)}


class AtCapacity(ShellError):
    """The server holds all the connections it may, or all an address may."""


class StoreUnavailable(ShellError):
    """Redis or SQLite cannot take or give what a request needs."""


class UpstreamUnavailable(ShellError):
    """v2 did not answer, in time or at all, or the circuit breaker is open."""


class UpstreamBroken(ShellError):
    """v2 answered what the flow could not read."""


class Internal(ShellError):
    """Something the shim did not foresee failed (`shim.edge.contained`)."""


class Refused(ShellError):
    """The request is refused for what it is, whatever it asks; the subclass says why."""


class BodyTooLarge(Refused): ...


class BodyTooSlow(Refused):
    """Not all of the body came in time: the rest may still come, so the connection closes."""


class HeadTooLarge(Refused): ...


class TooManyParameters(Refused): ...


class BadQuery(Refused):
    """A query that is not plain ASCII."""


class BadMultipart(Refused):
    """A multipart body that breaks the form: no boundary, a part without a name, a head too
    long, too many parts, or no closing delimiter."""


class BadHeader(Refused):
    """A header to pass on that cannot go as it came: control characters (no HTTP field value,
    RFC 9110 §5.5, and aiohttp refuses to send one), or bytes beyond ASCII that are not UTF-8
    (aiohttp writes a header's text as UTF-8)."""


class BadOverride(Refused):
    """A backend override that names neither version."""


class NoSuchPage(Refused): ...


class NotHTTP(Refused):
    """Bytes that are no HTTP request: answered before any request exists."""


class CrossSite(Refused):
    """An operator's switch posted without its csrf token."""


class Unauthenticated(Refused):
    """The request's credentials are refused; the subclass says why."""


class BadAuthData(Unauthenticated):
    """No credentials, or OAuth parameters, a bearer token or a form body that cannot be read."""


class NotAuthenticated(Unauthenticated):
    """A wrong signature or consumer key, a replayed nonce, a URL on another host."""


class UnknownToken(Unauthenticated):
    """A token neither the shim nor v2 knows (any more)."""


class StaleTimestamp(Unauthenticated):
    """An oauth_timestamp more than 5 minutes off."""


class AppOnly(Unauthenticated):
    """An app-only token on a translated call: it names no user to act for."""


ANSWERS: Mapping[type[ShellError], V11Error] = {
    Busy: V11Error(88),
    AtCapacity: V11Error(130),
    StoreUnavailable: V11Error(130),
    UpstreamUnavailable: V11Error(130),
    UpstreamBroken: V11Error(131),
    Internal: V11Error(131),
    BodyTooLarge: V11Error(195, "Request body is too large.", status=413),
    BodyTooSlow: V11Error(
        195, "Request body was not received in time.", {"connection": "close"}, status=408
    ),
    HeadTooLarge: V11Error(195, "Request head is too large.", status=431),
    TooManyParameters: V11Error(195, "Too many parameters."),
    BadQuery: V11Error(195),
    BadMultipart: V11Error(195, "Request body is not a valid multipart form.", status=400),
    BadHeader: V11Error(195, "A request header cannot be passed on as it came.", status=400),
    BadOverride: V11Error(195, "x-shim-backend must be v1 or v2.", status=400),
    NoSuchPage: V11Error(34),
    NotHTTP: V11Error(195, "The request is not valid HTTP.", status=400),
    CrossSite: V11Error(353),
    BadAuthData: V11Error(215),
    NotAuthenticated: V11Error(32),
    UnknownToken: V11Error(89),
    StaleTimestamp: V11Error(135),
    AppOnly: V11Error(220),
}


def answer(error: ShellError | V11Error) -> V11Error:
    """The v1.1 error a failure is answered with: a flow's own as it is, a shell's by cause."""
    if isinstance(error, V11Error):
        return error
    found = ANSWERS[type(error)]
    if not error.headers:
        return found
    return V11Error(found.code, found.message, {**found.headers, **error.headers}, found.status)


def rendered(error: ShellError | V11Error) -> Response:
    """A failure as the v1.1 answer the client gets."""
    failed = answer(error)
    return render(failed.status, failed.body(), failed.headers)
