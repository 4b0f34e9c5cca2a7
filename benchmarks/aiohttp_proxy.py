"""A bare aiohttp proxy: aiohttp.web passing `POST /1.1/mutes/users/create.json?user_id=…` to
the fake v2 as the mute call with aiohttp's ClientSession, checking, signing and translating
nothing, as `benchmarks/bare.py` does on Starlette and httpx2. What the HTTP server and client
cost in Python alone.

    .venv/bin/python benchmarks/aiohttp_proxy.py --port 8081 --upstream http://127.0.0.1:8090
"""

import argparse
from collections.abc import Callable

import uvloop
from aiohttp import ClientSession, TCPConnector, web


def app(upstream: str) -> web.Application:
    session: dict[str, ClientSession] = {}

    async def mute(request: web.Request) -> web.Response:
        target = request.query.get("user_id", "")
        url = upstream + "/2/users/1500000000000000001/muting"
        async with session["v2"].post(url, json={"target_user_id": target}) as muted:
            content = await muted.read()
        return web.Response(status=muted.status, body=content, content_type="application/json")

    async def started(application: web.Application) -> None:
        session["v2"] = ClientSession(connector=TCPConnector(limit=100))

    async def stopped(application: web.Application) -> None:
        await session["v2"].close()

    application = web.Application()
    application.router.add_post("/1.1/mutes/users/create.json", mute)
    application.on_startup.append(started)
    application.on_cleanup.append(stopped)
    return application


def serve(make: Callable[[str], web.Application]) -> None:
    """Serve `make(--upstream)` on --port of loopback, as `instructions.py` starts each server
    (the floor's too)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    options = parser.parse_args()
    uvloop.install()
    web.run_app(
        make(options.upstream), host="127.0.0.1", port=options.port, access_log=None, print=None
    )


if __name__ == "__main__":
    serve(app)
