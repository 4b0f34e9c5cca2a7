"""The Starlette app: receive a v1.1 request, verify it, drive its flow, answer in v1.1 shape.

Every request walks app → `Shell.authenticate` → the mapping's flow, driven by `drive` against
v2 → `render`. Routes come from `mappings.ROUTES`; other paths of the API pass through to the
upstream, and anything else is v1.1's 404, code 34.
"""

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from urllib.parse import parse_qsl

import httpx2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from mappings import ROUTES
from mappings.callers import caller_from_token, is_app_only, whoami
from mappings.errors import V11Error
from mappings.types import Caller, Context, Flow, Steps, V2Call, V2Reply, V11Reply, V11Request
from shim import passthrough
from shim.auth import Validator, Verifier
from shim.caches import TTLCache
from shim.config import Settings
from shim.credentials import TokenStore, mask
from shim.nonces import MemoryNonces, Nonces
from shim.signing import FORM, Bearer, Credentials, bearer_token
from shim.upstream import Send, Upstream, drive

log = logging.getLogger("shim")

V11_JSON = "application/json;charset=utf-8"  # v1.1's own spelling, without a space
CURSOR_TTL = 86_400.0  # a v1.1 cursor stays valid for a day
Caught = Credentials | Bearer


def render(status: int, body: object, headers: Mapping[str, str] | None = None) -> Response:
    """A v1.1 JSON answer."""
    content = json.dumps(body, separators=(",", ":"))
    return Response(content, status, dict(headers or {}), media_type=V11_JSON)


def digest(token: str) -> str:
    """A cache key for a token, so no cache ever holds a token in clear."""
    return hashlib.sha256(token.encode()).hexdigest()


class Shell:
    """What the routes share: settings, the token store, the verifier, v2 and the caches."""

    def __init__(
        self, settings: Settings, transport: httpx2.AsyncBaseTransport | None, nonces: Nonces
    ) -> None:
        self.settings = settings
        self.store = TokenStore(settings.db_path)
        # Between oauth/request_token and oauth/access_token, the secret of the request token
        # the upstream issued; Twitter's expired within minutes.
        self.request_tokens: TTLCache[str, str] = TTLCache(10_000, 900)
        validator = Validator(
            settings.consumer_key,
            settings.consumer_secret,
            self.token_secret,
            nonces,
            self.request_tokens.get,
        )
        self.verifier = Verifier(validator)
        self.upstream = Upstream(settings.upstream_url, settings.upstream_timeout, transport)
        self.callers: TTLCache[str, Caller] = TTLCache(settings.cache_size, settings.cache_ttl)
        self.users: TTLCache[tuple[str, V2Call], V2Reply] = TTLCache(
            settings.cache_size, settings.cache_ttl
        )
        self.cursors: TTLCache[str, str] = TTLCache(100_000, CURSOR_TTL)

    def token_secret(self, token: str) -> str | None:
        """The secret of a known token: SHIM_ACCESS_TOKEN's, else the store's."""
        if token == self.settings.access_token:
            return self.settings.access_token_secret
        return self.store.secret(token)

    def authenticate(self, request: Request, body: bytes) -> Caught:
        """The caller's credentials: a verified OAuth 1.0a signature, or an OAuth 2.0 token."""
        bearer = bearer_token(request.headers.get("authorization", ""))
        if bearer is not None:
            return bearer
        url = self.signed_url(request)
        return self.verifier.verify(url, request.method, _text(body), request.headers)

    def signed_url(self, request: Request) -> str:
        """The URL the client signed, on SHIM_PUBLIC_URL where set, else where it arrived."""
        base = self.settings.public_url or f"{request.url.scheme}://{request.url.netloc}"
        query = request.url.query
        return base.rstrip("/") + request.url.path + (f"?{query}" if query else "")

    def identify(self, token: str) -> Steps[Caller]:
        """The caller: from the token's numeric prefix, else from v2 once per token."""
        key = digest(token)
        caller = caller_from_token(token) or self.callers.get(key)
        if caller is None:
            caller = yield from whoami()
            self.callers.put(key, caller)
        return caller

    def sender(self, credentials: Caught) -> Send:
        """Send v2 calls as this caller; lookups marked cacheable are answered from the cache."""
        auth, key = credentials.auth(), digest(credentials.token)

        async def send(call: V2Call) -> V2Reply:
            if not call.cache:
                return await self.upstream.send(call, auth)
            # Per caller: a lookup's connection_status is the caller's relationship to the user.
            cached = self.users.get((key, call))
            if cached is not None:
                return cached
            reply = await self.upstream.send(call, auth)
            if reply.status == 200 and isinstance(reply.body, dict) and "data" in reply.body:
                self.users.put((key, call), reply)
            return reply

        return send

    async def sign_in(self, step: str, request: Request, body: bytes) -> Response:
        """One step of OAuth 1.0a sign-in through the shim (see `SIGN_IN`)."""
        credentials = self.verifier.verify_sign_in(
            step, self.signed_url(request), request.method, _text(body), request.headers
        )
        response, content = await passthrough.exchange(
            self.upstream.client, request, body, credentials.auth()
        )
        granted = dict(parse_qsl(content.decode(errors="replace")))
        token, secret = granted.get("oauth_token"), granted.get("oauth_token_secret")
        if response.status_code == 200 and token and secret:
            if step == "request_token":
                self.request_tokens.put(token, secret)
            else:
                self.store.add(token, secret)
                log.info("signed in: stored %s", mask(token))
        return response

    def stats(self) -> dict[str, dict[str, int]]:
        return {
            "users": self.users.stats(),
            "callers": self.callers.stats(),
            "cursors": self.cursors.stats(),
        }

    async def aclose(self) -> None:
        await self.upstream.aclose()
        self.store.close()


def _text(body: bytes) -> str:
    try:
        return body.decode()
    except UnicodeDecodeError:
        raise V11Error(215) from None


def v11_params(query: str, body: bytes, content_type: str) -> tuple[tuple[str, str], ...]:
    """The request's query and form parameters, without the OAuth ones."""
    pairs = parse_qsl(query, keep_blank_values=True)
    if content_type.startswith(FORM):
        pairs += parse_qsl(body.decode(), keep_blank_values=True)
    return tuple((key, value) for key, value in pairs if not key.startswith("oauth_"))


def endpoint(
    shell: Shell, flow: Callable[[V11Request, Context], Flow]
) -> Callable[[Request], object]:
    """The Starlette endpoint that serves one translated v1.1 route."""

    async def serve(request: Request) -> Response:
        body = await request.body()
        credentials = shell.authenticate(request, body)
        if isinstance(credentials, Bearer) and is_app_only(credentials.token):
            raise V11Error(220)
        content_type = request.headers.get("content-type", "")
        params = v11_params(request.url.query, body, content_type)
        context = Context(shell.identify(credentials.token), shell.cursors)
        steps = flow(V11Request(request.method, request.url.path, params), context)
        reply = await _within_deadline(shell, steps, shell.sender(credentials))
        for cursor, token in reply.cursors.items():
            shell.cursors.put(cursor, token)
        return render(reply.status, reply.body, reply.headers)

    return serve


async def _within_deadline(shell: Shell, steps: Flow, send: Send) -> V11Reply:
    try:
        async with asyncio.timeout(shell.settings.upstream_timeout):
            return await drive(steps, send)
    except TimeoutError:
        log.warning("v2 did not answer within %.1f s", shell.settings.upstream_timeout)
        raise V11Error(130) from None


# Sign-in through the shim: the app's signature on request_token, the request token's on
# access_token; the user's browser goes to the upstream itself to authorize.
SIGN_IN = {"/oauth/request_token": "request_token", "/oauth/access_token": "access_token"}
BROWSER = ("/oauth/authorize", "/oauth/authenticate")


def passing(shell: Shell) -> Callable[[Request], object]:
    """The endpoint for every other path: passed through when it is the API's and allowed."""

    async def serve(request: Request) -> Response:
        path = request.url.path
        if not (shell.settings.passthrough and passthrough.forwards(path)):
            raise V11Error(34)
        if path in BROWSER:
            query = request.url.query
            upstream = shell.settings.upstream_url + path + (f"?{query}" if query else "")
            return RedirectResponse(upstream, 302)
        body = await request.body()
        if path in SIGN_IN:
            return await shell.sign_in(SIGN_IN[path], request, body)
        credentials = shell.authenticate(request, body)
        return await passthrough.forward(shell.upstream.client, request, body, credentials.auth())

    return serve


def admin_stats(shell: Shell) -> Callable[[Request], object]:
    """Cache hits and misses, for `shim stats`; only with SHIM_ADMIN_TOKEN set, and its bearer."""

    async def serve(request: Request) -> Response:
        token = shell.settings.admin_token
        if token is None:
            raise V11Error(34)
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise V11Error(32)
        return render(200, shell.stats())

    return serve


async def v11_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, V11Error)
    return render(error.status, error.body(), error.headers)


async def no_such_page(request: Request, error: Exception) -> Response:
    return render(404, V11Error(34).body())


async def internal_error(request: Request, error: Exception) -> Response:
    return render(500, V11Error(131).body())


ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


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
        log.info("caches at shutdown: %s", shell.stats())
        await shell.aclose()

    routes = [
        Route(path, endpoint(shell, flow), methods=[method])
        for (method, path), flow in ROUTES.items()
    ]
    routes += [
        Route("/_shim/stats", admin_stats(shell), methods=["GET"]),
        Route("/{path:path}", passing(shell), methods=ALL_METHODS),
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
