"""The aiohttp transport under httpx2's API, against a real socket: the URL goes byte for byte
as httpx2 encoded it (the OAuth signature covers it), bodies stream, and failures are the httpx2
errors the shim reads."""

import asyncio
import json

import httpx2
import pytest

from shim.aiotransport import AiohttpTransport
from tests.servers import free_port, read_body, serving


async def echo(scope, receive, send) -> None:
    """Answers what reached it: the raw path and query, the method, the headers and the body;
    `/slow` waits before answering, `/chunks` sends its body in three parts."""
    if scope["type"] != "http":
        return
    body = await read_body(receive)
    if scope["path"] == "/slow":
        await asyncio.sleep(2)
    seen = {
        "raw_path": scope["raw_path"].decode(),
        "query": scope["query_string"].decode(),
        "method": scope["method"],
        "headers": {k.decode(): v.decode() for k, v in scope["headers"]},
        "body": body.decode(),
    }
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1")]})
    if scope["path"] == "/chunks":
        for part in (b"one,", b"two,", b"three"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.body", "body": json.dumps(seen).encode()})


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture(scope="module")
def base():
    with serving(echo) as port:
        yield f"http://127.0.0.1:{port}"


async def through(base: str, method: str, url: str, **options) -> httpx2.Response:
    async with httpx2.AsyncClient(transport=AiohttpTransport(10), timeout=1.0) as client:
        response = await client.request(method, base + url, **options)
        await response.aread()
        return response


def test_the_url_reaches_the_server_as_httpx2_encoded_it(base):
    url = "/2/users/by/username/a%2Cb?usernames=x%2Cy&q=%7Etilde~&empty="
    response = run(through(base, "GET", url, headers={"authorization": "OAuth fake"}))
    seen = response.json()

    assert seen["raw_path"] == "/2/users/by/username/a%2Cb"
    assert seen["query"] == "usernames=x%2Cy&q=%7Etilde~&empty="
    assert seen["headers"]["authorization"] == "OAuth fake"
    assert "cookie" not in seen["headers"]


def test_a_json_body_and_its_headers_go_as_given(base):
    response = run(through(base, "POST", "/2/users/1/muting", json={"target_user_id": "2"}))
    seen = response.json()

    assert (seen["method"], seen["body"]) == ("POST", '{"target_user_id":"2"}')
    assert seen["headers"]["content-type"] == "application/json"
    assert response.headers["x-a"] == "1"


def test_a_body_streams_in_parts(base):
    async def parts() -> list[bytes]:
        async with (
            httpx2.AsyncClient(transport=AiohttpTransport(10)) as client,
            client.stream("GET", base + "/chunks") as response,
        ):
            return [chunk async for chunk in response.aiter_raw()]

    assert b"".join(run(parts())) == b"one,two,three"


def test_no_listener_is_a_connect_error():
    with pytest.raises(httpx2.ConnectError):
        run(through(f"http://127.0.0.1:{free_port()}", "GET", "/"))


def test_a_slow_answer_is_a_timeout(base):
    with pytest.raises(httpx2.TimeoutException):
        run(through(base, "GET", "/slow"))
