"""The Starlette app: receive a v1.1 request, verify it, drive its flow, answer in v1.1 shape.

Every request walks app → `Verifier.verify` → the mapping's flow, driven by `drive` against v2
→ `render`. Routes come from `mappings.ROUTES`; anything else is v1.1's 404, code 34.
"""

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from functools import partial
from urllib.parse import parse_qsl

import httpx2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mappings import ROUTES
from mappings.callers import caller_from_token, whoami
from mappings.errors import V11Error
from mappings.types import Caller, Flow, Steps, V11Reply, V11Request
from shim.auth import FORM, OAuth1, Validator, Verifier
from shim.caches import LRU
from shim.config import Settings
from shim.credentials import TokenStore
from shim.nonces import MemoryNonces, Nonces
from shim.upstream import Send, Upstream, drive

log = logging.getLogger("shim")

V11_JSON = "application/json;charset=utf-8"  # v1.1's own spelling, without a space


def render(status: int, body: object, headers: Mapping[str, str] | None = None) -> Response:
    """A v1.1 JSON answer."""
    content = json.dumps(body, separators=(",", ":"))
    return Response(content, status, dict(headers or {}), media_type=V11_JSON)


class Shell:
    """What the routes share: settings, the token store, the verifier, v2 and the caller cache."""

    def __init__(
        self, settings: Settings, transport: httpx2.AsyncBaseTransport | None, nonces: Nonces
    ) -> None:
        self.settings = settings
        self.store = TokenStore(settings.db_path)
        self.verifier = Verifier(
            Validator(settings.consumer_key, settings.consumer_secret, self.token_secret, nonces)
        )
        self.upstream = Upstream(settings.upstream_url, settings.upstream_timeout, transport)
        self.callers: LRU[str, Caller] = LRU(10_000)

    def token_secret(self, token: str) -> str | None:
        """The secret of a known token: SHIM_ACCESS_TOKEN's, else the store's."""
        if token == self.settings.access_token:
            return self.settings.access_token_secret
        return self.store.secret(token)

    def signed_url(self, request: Request) -> str:
        """The URL the client signed, on SHIM_PUBLIC_URL where set, else where it arrived."""
        base = self.settings.public_url or f"{request.url.scheme}://{request.url.netloc}"
        query = request.url.query
        return base.rstrip("/") + request.url.path + (f"?{query}" if query else "")

    def identify(self, token: str) -> Steps[Caller]:
        """The caller: from the token's numeric prefix, else from v2 once per token."""
        # The cache key is a digest, so the cache never holds a token in clear.
        key = hashlib.sha256(token.encode()).hexdigest()
        caller = caller_from_token(token) or self.callers.get(key)
        if caller is None:
            caller = yield from whoami()
            self.callers.put(key, caller)
        return caller

    async def aclose(self) -> None:
        await self.upstream.aclose()
        self.store.close()


def v11_params(query: str, body: bytes, content_type: str) -> tuple[tuple[str, str], ...]:
    """The request's query and form parameters, without the OAuth ones."""
    pairs = parse_qsl(query, keep_blank_values=True)
    if content_type.startswith(FORM):
        pairs += parse_qsl(body.decode(), keep_blank_values=True)
    return tuple((key, value) for key, value in pairs if not key.startswith("oauth_"))


def endpoint(
    shell: Shell, flow: Callable[[V11Request, Steps[Caller]], Flow]
) -> Callable[[Request], object]:
    """The Starlette endpoint that serves one translated v1.1 route."""

    async def serve(request: Request) -> Response:
        raw = await request.body()
        try:
            body = raw.decode()
        except UnicodeDecodeError:
            raise V11Error(215) from None
        credentials = shell.verifier.verify(
            shell.signed_url(request), request.method, body, request.headers
        )
        content_type = request.headers.get("content-type", "")
        v11 = V11Request(
            request.method, request.url.path, v11_params(request.url.query, raw, content_type)
        )
        send = partial(shell.upstream.send, auth=OAuth1(credentials))
        reply = await _within_deadline(shell, flow(v11, shell.identify(credentials.token)), send)
        return render(reply.status, reply.body, reply.headers)

    return serve


async def _within_deadline(shell: Shell, steps: Flow, send: Send) -> V11Reply:
    try:
        async with asyncio.timeout(shell.settings.upstream_timeout):
            return await drive(steps, send)
    except TimeoutError:
        log.warning("v2 did not answer within %.1f s", shell.settings.upstream_timeout)
        raise V11Error(130) from None


async def v11_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, V11Error)
    return render(error.status, error.body(), error.headers)


async def no_such_page(request: Request, error: Exception) -> Response:
    return render(404, V11Error(34).body())


async def internal_error(request: Request, error: Exception) -> Response:
    return render(500, V11Error(131).body())


def create_app(
    settings: Settings,
    transport: httpx2.AsyncBaseTransport | None = None,
    nonces: Nonces | None = None,
) -> Starlette:
    """The shim as an ASGI app; tests pass a `transport` to stand in for v2."""
    shell = Shell(settings, transport, nonces or MemoryNonces())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await shell.aclose()

    routes = [
        Route(path, endpoint(shell, flow), methods=[method])
        for (method, path), flow in ROUTES.items()
    ]
    handlers = {
        V11Error: v11_error,
        404: no_such_page,
        405: no_such_page,
        Exception: internal_error,
    }
    app = Starlette(routes=routes, exception_handlers=handlers, lifespan=lifespan)
    app.state.shell = shell
    return app
