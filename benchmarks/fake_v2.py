"""A fast stand-in for API v2 with a fixed latency, for benchmarks: a bare ASGI app that answers
the calls the shim makes for a mute, after sleeping `--latency` seconds. It issued no OAuth 2.0
token: a bearer token is refused 401, as v2 refuses one it never issued.

Faults for the soak: `POST /_fault?status=503&delay=5` makes every later call wait `delay`
seconds and answer `status` (0: the normal answer); `POST /_fault` alone restores both."""

import argparse
import asyncio
import json
from urllib.parse import parse_qs

import uvicorn

USER = json.dumps(
    {
        "data": {
            "id": "783214",
            "name": "Twitter",
            "username": "Twitter",
            "created_at": "2007-02-20T14:35:54.000Z",
            "description": "What's happening?!",
            "location": "Everywhere",
            "protected": False,
            "verified": True,
            "profile_image_url": "https://pbs.twimg.com/profile_images/1/x_normal.png",
            "public_metrics": {
                "followers_count": 56335782,
                "following_count": 140,
                "tweet_count": 10829,
                "listed_count": 90877,
                "like_count": 5965,
            },
        }
    }
).encode()
MUTED = b'{"data":{"muting":true}}'
HEADERS = [
    (b"content-type", b"application/json; charset=utf-8"),
    (b"x-rate-limit-limit", b"50"),
    (b"x-rate-limit-remaining", b"49"),
    (b"x-rate-limit-reset", b"1700000000"),
]


UNAVAILABLE = json.dumps(
    {"title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank"}
).encode()
UNAUTHORIZED = json.dumps({"title": "Unauthorized", "type": "about:blank"}).encode()


def app(latency: float):
    fault = {"status": 0, "delay": latency}

    async def serve(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        if scope["path"] == "/_fault":
            query = parse_qs(scope["query_string"].decode())
            fault["status"] = int(query.get("status", ["0"])[0])
            fault["delay"] = float(query.get("delay", [latency])[0])
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await asyncio.sleep(fault["delay"])
        status = fault["status"] or 200
        if status != 200:
            body = UNAVAILABLE
        elif dict(scope["headers"]).get(b"authorization", b"").startswith(b"Bearer "):
            status, body = 401, UNAUTHORIZED
        else:
            body = MUTED if scope["path"].endswith("/muting") else USER
        await send({"type": "http.response.start", "status": status, "headers": HEADERS})
        await send({"type": "http.response.body", "body": body})

    return serve


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    uvicorn.run(
        app(args.latency), host="127.0.0.1", port=args.port, log_level="warning", backlog=4096
    )
