"""The baseline the shim is measured against: a Starlette app on the same stack (uvicorn with
httptools and uvloop, httpx2) that passes `POST /1.1/mutes/users/create.json?user_id=…` to the
fake v2 as one call (the mute; the shim's user lookup is cached after the first), translating,
checking and signing nothing. What this costs, the shim cannot cost less.

    .venv/bin/python benchmarks/bare.py --port 8081 --upstream http://127.0.0.1:8090
"""

import argparse

import httpx2
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def app(upstream: str) -> Starlette:
    client = httpx2.AsyncClient(base_url=upstream, limits=httpx2.Limits(max_connections=100))

    async def mute(request: Request) -> Response:
        target = request.query_params.get("user_id", "")
        muted = await client.post(
            "/2/users/1500000000000000001/muting", json={"target_user_id": target}
        )
        return Response(muted.content, muted.status_code, media_type="application/json")

    return Starlette(routes=[Route("/1.1/mutes/users/create.json", mute, methods=["POST"])])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    options = parser.parse_args()
    uvicorn.run(app(options.upstream), port=options.port, log_level="warning")
