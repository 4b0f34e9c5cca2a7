"""The CPU an attacker's worst requests cost the shim, next to an ordinary one: the app called as
ASGI in one process (as benchmarks/inprocess.py does), v2 benchmarks/fake_v2.py in a process of
its own, each request's access line logged as uvicorn logs it, through the shim's masking. A
script that prints figures (issue 20: each of these once took the event loop for a second or
more). A known token's check of a body past 64 KiB runs on a worker thread: its CPU is counted,
but the loop is free.

    .venv/bin/python benchmarks/hostile.py [--repeat 5] [--line-kib 64] [--body-kib 1023]
"""

import argparse
import asyncio
import logging
import logging.config
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from oauthlib.oauth1 import Client
from uvicorn._types import HTTPScope
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.inprocess import ORIGIN, fake_upstream, quiet_app, started  # noqa: E402
from benchmarks.processes import KEY, SECRET, TOKEN, TOKEN_SECRET  # noqa: E402
from shim.edge.limits import MOST_PARAMETERS  # noqa: E402

MUTE = "/1.1/mutes/users/create.json"
FORM = b"application/x-www-form-urlencoded"
ACCESS = logging.getLogger("uvicorn.access")


def scope(path: str, query: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8080"), *headers],
        "server": ("127.0.0.1", 8080),
        "client": ("127.0.0.1", 50000),
    }


def signed(query: str, token: str, secret: str, body: bytes = b"") -> dict[str, Any]:
    """A mute signed by `token`; with a body, as a form whose pairs the signature covers."""
    signer = Client(
        KEY, client_secret=SECRET, resource_owner_key=token, resource_owner_secret=secret
    )
    headers = {"Content-Type": FORM.decode()} if body else {}
    _, signed_headers, _ = signer.sign(
        f"{ORIGIN}{MUTE}?{query}", "POST", body.decode() or None, headers
    )
    extra = [(b"content-type", FORM)] if body else []
    return scope(
        MUTE, query, [(b"authorization", signed_headers["Authorization"].encode()), *extra]
    )


def form(kib: int, pairs: int | None = None, filler: str = "x") -> bytes:
    """A form body just under `kib` KiB: as many short pairs as fit (the most to parse, sort and
    encode), or `pairs` long ones of `filler`."""
    if pairs is not None:
        value = filler * ((kib * 1024 // pairs - 8) // len(filler))
        return "&".join(f"p{number}={value}" for number in range(pairs)).encode()
    made, size = [], 0
    while size < kib * 1024 - 16:
        made.append(f"p{len(made)}=x")
        size += len(made[-1]) + 1
    return "&".join(made).encode()


async def call(app: Any, request: dict[str, Any], body: bytes) -> int:
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            http = cast(HTTPScope, request)
            # uvicorn's access line, as httptools_impl writes it when the answer starts.
            ACCESS.info(
                '%s - "%s %s HTTP/%s" %d',
                get_client_addr(http),
                request["method"],
                get_path_with_query_string(http),
                request["http_version"],
                status,
            )

    await app(request, receive, send)
    return status


Case = tuple[str, Callable[[int], tuple[dict[str, Any], bytes]]]


def cases(args: argparse.Namespace) -> list[Case]:
    line = "q=" + "oauth_" * (args.line_kib * 1024 // 6)
    body = form(args.body_kib)
    most = form(args.body_kib, MOST_PARAMETERS - 1)  # and user_id in the query
    spaced = form(args.body_kib, MOST_PARAMETERS - 1, "x+")
    unknown = "1500000000000000009-" + "unknown" * 5
    junk = "fake-junk-bearer-{}-" + "j" * 40
    wrong = "fake-wrong-secret"
    return [
        (
            "ordinary mute, signed, user_id",
            lambda n: (signed("user_id=783214", TOKEN, TOKEN_SECRET), b""),
        ),
        (
            f"{args.line_kib} KiB request line of oauth_…, no credentials",
            lambda n: (scope("/1.1/x.json", line, []), b""),
        ),
        (
            f"{args.body_kib} KiB form of short pairs, known token, wrong signature",
            lambda n: (signed("user_id=783214", TOKEN, wrong, body), body),
        ),
        (
            f"{args.body_kib} KiB form of {MOST_PARAMETERS - 1} pairs, unknown token",
            lambda n: (signed("user_id=783214", unknown, wrong, most), most),
        ),
        (
            f"{args.body_kib} KiB form of {MOST_PARAMETERS - 1} pairs, no Authorization",
            lambda n: (scope(MUTE, "user_id=783214", [(b"content-type", FORM)]), most),
        ),
        (
            f"{args.body_kib} KiB form of {MOST_PARAMETERS - 1} pairs, known token, wrong sign.",
            lambda n: (signed("user_id=783214", TOKEN, wrong, most), most),
        ),
        (
            "  the same with '+' in the values (oauthlib checks it)",
            lambda n: (signed("user_id=783214", TOKEN, wrong, spaced), spaced),
        ),
        (
            "a new junk Bearer token each request (v2 refuses it)",
            lambda n: (
                scope(
                    MUTE,
                    "user_id=783214",
                    [(b"authorization", f"Bearer {junk.format(n)}".encode())],
                ),
                b"",
            ),
        ),
    ]


async def bench(args: argparse.Namespace, upstream_port: int) -> None:
    app = quiet_app(upstream_port)
    print(f"{'request':66} {'status':>6} {'CPU a request':>14}")
    async with started(app):
        for name, make in cases(args):
            requests = [make(number) for number in range(args.repeat)]
            statuses = set()
            begun = time.process_time()
            for request, body in requests:
                statuses.add(await call(app, request, body))
            seconds = (time.process_time() - begun) / args.repeat
            shown = ",".join(str(status) for status in sorted(statuses))
            print(f"{name:66} {shown:>6} {seconds * 1000:11.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="requests of each kind")
    parser.add_argument("--line-kib", type=int, default=64, help="the long request line's size")
    parser.add_argument("--body-kib", type=int, default=1023, help="the form body's size")
    with fake_upstream() as port:
        asyncio.run(bench(parser.parse_args(), port))


if __name__ == "__main__":
    main()
