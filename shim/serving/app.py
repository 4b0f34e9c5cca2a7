"""The Starlette app: the routes, the error handlers, and `create_app`.

Every call walks app → for a translated endpoint `translated.serve` (the routing read, then
`identity.authenticate` once, into a `Call` with as much of the caller as the plan needs, then
the mapping's flow driven against v2, or v1.1), for a call v2 cannot serve `unserved.serve` (the
same, then the shim's own answer or v1.1's), else `identity.authenticate` once and the
pass-through → a v1.1 answer, and then the after-steps (`exchange.follow_up`). Other paths of the
API pass through to the upstream; `/_shim/…` and `/metrics` are the operator's; anything else
is v1.1's 404, code 34.
"""

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, nullcontext
from urllib.parse import parse_qsl, unquote

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from mappings import ENDPOINTS
from mappings.errors import V11Error
from mappings.unserved import UNSERVED, pattern
from mappings.uploads import METADATA, MOST_BODY, UPLOAD
from shim.config import Settings
from shim.edge.contained import Contained
from shim.edge.drain import Closing, Drain, on_sigterm
from shim.edge.limits import BodyLimit, PathFence, routed_spelling, target
from shim.edge.requests_log import RequestId
from shim.edge.simulated import Simulated
from shim.edge.throttle import Throttle
from shim.errors import Busy, CrossSite, NoSuchPage, ShellError, rendered
from shim.responses import render
from shim.serving import dashboard, passthrough
from shim.serving.exchange import Exchange, follow_up
from shim.serving.health import Readiness, health, ready
from shim.serving.lifespan import Resources, open_resources
from shim.serving.media import Media
from shim.serving.recording import recording
from shim.serving.translated import Translated
from shim.serving.unserved import Unserved

log = logging.getLogger("shim")

# Sign-in through the shim: the app's signature on request_token, the request token's on
# access_token; the user's browser goes to the upstream itself to authorize.
SIGN_IN = {"/oauth/request_token": "request_token", "/oauth/access_token": "access_token"}
BROWSER = ("/oauth/authorize", "/oauth/authenticate")
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
Endpoint = Callable[[Request], object]


def passing(resources: Resources) -> Endpoint:
    """The endpoint for every other path: passed through when it is the API's and allowed."""

    async def serve(request: Request) -> Response:
        # Decided on the path forwarded, as it came (`limits.target`), never on request.url.
        path, query = target(request.scope)
        # A translated path asked with another method is no page: v1.1 has none there either;
        # nor is one of the calls v2 cannot serve (`shim.serving.unserved`).
        if routed_spelling(unquote(path)) is not None or not (
            resources.settings.passthrough and passthrough.forwards(path)
        ):
            raise NoSuchPage
        if path in BROWSER:
            upstream = resources.settings.upstream_url + path + (f"?{query}" if query else "")
            return RedirectResponse(upstream, 302)
        body = await request.body()
        if path in SIGN_IN:
            return await resources.sign_in(SIGN_IN[path], request, body)
        call = await resources.identity.authenticate(request, body)
        done = resources.slot(call.credentials, request)
        started = time.monotonic()
        auth = call.credentials.auth()
        response = await passthrough.forward(resources.upstream, request, body, auth, done)
        seconds = time.monotonic() - started
        # A refusal was read whole, so its code is known (the migration report counts it).
        served = response.outcome if isinstance(response, passthrough.Refusal) else None
        await follow_up(resources.after, Exchange(call, "v1", response, seconds, served=served))
        return response

    return serve


def admin(
    resources: Resources,
    throttle: Throttle,
    page: Callable[[Resources, Request], Awaitable[Response]],
) -> Endpoint:
    """An operator's page: only with SHIM_ADMIN_TOKEN set, given as a bearer token or as the
    password of HTTP basic authentication (what a browser can send). Wrong tokens are
    throttled per client address (`shim.edge.throttle`), all the pages together."""

    async def serve(request: Request) -> Response:
        token = resources.settings.admin_token
        if token is None:
            raise NoSuchPage
        address = request.client.host if request.client else None
        if wait := throttle.wait(address):
            raise Busy(retry_after=wait)
        if not dashboard.admitted(request.headers.get("authorization", ""), token):
            throttle.failed(address)
            return Response("admin token needed", 401, {"WWW-Authenticate": 'Basic realm="shim"'})
        return await page(resources, request)

    return serve


async def stats_page(resources: Resources, request: Request) -> Response:
    return render(200, resources.stats())


async def metrics_page(resources: Resources, request: Request) -> Response:
    return Response(resources.metrics.render(), media_type="text/plain; version=0.0.4")


async def dashboard_page(resources: Resources, request: Request) -> Response:
    assert resources.settings.admin_token is not None  # `admin` serves nothing without it
    page = dashboard.html(
        resources.metrics.by_endpoint(),
        await resources.comparisons.report(),
        await resources.routing.current(),
        dashboard.form_token(resources.settings.admin_token),
        resources.upstream.breaker.state,
        list(resources.dry_runs.recent),
        [reason for reason, now in resources.kept.reasons().items() if now],
        await resources.traffic.report(),
        simulated=resources.settings.sandbox,
    )
    return Response(page, media_type="text/html; charset=utf-8")


async def all_v1_page(resources: Resources, request: Request) -> Response:
    """POST /_shim/all-v1?on=true|false: the one switch that sends everything back to v1.1.
    Scripts send it with the bearer token; the dashboard posts its form, and is sent back."""
    assert resources.settings.admin_token is not None
    form = dict(parse_qsl((await request.body()).decode("latin-1")))
    if dashboard.forged(request.headers, form, resources.settings.admin_token):
        raise CrossSite
    on = form.get("on", request.query_params.get("on", "true")).lower() != "false"
    await resources.routing.switch.set(on)
    log.warning("all translated endpoints to v1.1: %s", on)
    if "csrf" in form:
        return RedirectResponse("/_shim/", 303)
    return render(200, {"all_v1": on})


async def failed(request: Request, error: Exception) -> Response:
    """A flow's v1.1 error as it is, or the resources's own failure as `shim.errors` answers it."""
    assert isinstance(error, V11Error | ShellError)
    return rendered(error)


async def no_such_page(request: Request, error: Exception) -> Response:
    return rendered(NoSuchPage())


def create_app(
    settings: Settings,
    clock: Callable[[], float] = time.time,
    record: str | None = None,
) -> Starlette:
    """The shim as an ASGI app, calling v2 at `settings.upstream_url` (the tests' fake v2 is
    on a real socket there); tests pass a `clock` to stand in for the wall clock that judges
    timestamps and expires nonces. With
    `record`, upstream traffic is recorded into that cassette, written at shutdown: inside the
    app's lifespan, since uvicorn re-raises SIGTERM once it has stopped serving. SIGTERM first
    drains for SHIM_DRAIN_SECONDS (`shim.edge.drain`)."""
    resources = open_resources(settings, clock)
    guard = Throttle()  # one count of wrong admin tokens for all the operator's pages
    drain = Drain(settings.drain_seconds)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await resources.warn_of_plaintext()
        watching = asyncio.create_task(resources.kept.keep_watch())
        flushing = asyncio.create_task(resources.traffic.keep_flushing())
        # What start-up made (modules, tables, the app) lives as long as the worker: frozen,
        # no full collection walks it again. Those walks took 40-70 ms each and made the p99.
        gc.freeze()
        try:
            with recording(record) if record else nullcontext(), on_sigterm(drain):
                yield
        finally:
            watching.cancel()
            flushing.cancel()
            gc.unfreeze()
        log.info("caches at shutdown: %s", resources.stats())
        await resources.aclose()

    routes = [
        Route(endpoint.path, Translated(endpoint, resources).serve, methods=list(endpoint.methods))
        for endpoint in ENDPOINTS
    ]
    routes += [
        Route(pattern(path), Unserved(method, path, resources).serve, methods=[method])
        for method, path in UNSERVED
    ]
    media = Media(resources)
    routes += [
        Route(UPLOAD, media.upload, methods=["GET", "POST"]),
        Route(METADATA, media.metadata, methods=["POST"]),
        Route("/_shim/health", health, methods=["GET"]),
        Route("/_shim/ready", ready(Readiness(resources.kept, drain)), methods=["GET"]),
        Route("/_shim/stats", admin(resources, guard, stats_page), methods=["GET"]),
        Route("/_shim/", admin(resources, guard, dashboard_page), methods=["GET"]),
        Route("/_shim/all-v1", admin(resources, guard, all_v1_page), methods=["POST"]),
        Route("/metrics", admin(resources, guard, metrics_page), methods=["GET"]),
        Route("/{path:path}", passing(resources), methods=ALL_METHODS),
    ]
    handlers = {
        V11Error: failed,
        ShellError: failed,
        404: no_such_page,
        405: no_such_page,
    }
    # Failures past these handlers are `Contained`'s: none reaches uvicorn.
    fences = [
        *([Middleware(Simulated)] if settings.sandbox else []),  # outside all: every answer
        Middleware(RequestId),
        Middleware(Closing, drain=drain),
        Middleware(Contained),
        Middleware(PathFence),
        Middleware(
            BodyLimit,
            limit=settings.max_body,
            timeout=settings.read_timeout,
            uploads={UPLOAD: MOST_BODY},
        ),
    ]
    app = Starlette(
        routes=routes, exception_handlers=handlers, lifespan=lifespan, middleware=fences
    )
    app.state.resources = resources
    return app
