"""The floor: the whole job of a translated mute in Python, on aiohttp.web and aiohttp's client,
with none of the shim's framework. It checks the client's signature (the shim's direct check),
records the nonce in SQLite (the shim's replay store), signs the v2 call anew (the shim's
HMAC-SHA1), plays the mapping's flow and answers the same bytes the shim does. What this costs
a request is what this job costs in Python; `benchmarks/instructions.py` measures both.

    .venv/bin/python benchmarks/floor.py --port 8081 --upstream http://127.0.0.1:8090
"""

import asyncio
import json
import secrets
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from aiohttp import ClientSession, TCPConnector, web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.aiohttp_proxy import serve  # noqa: E402
from benchmarks.processes import KEY, SECRET, TOKEN, TOKEN_SECRET  # noqa: E402
from mappings import ENDPOINTS  # noqa: E402
from mappings.endpoints import run  # noqa: E402
from mappings.types import Caller, Known, V2Call, V2Reply, V11Request  # noqa: E402
from shim.credentials import direct  # noqa: E402
from shim.credentials.hmac_signer import base_string, hmac_sha1, signing_key  # noqa: E402
from shim.credentials.replay import TIMESTAMP_WINDOW, first_use  # noqa: E402
from shim.errors import NotAuthenticated  # noqa: E402
from shim.responses import V11_JSON  # noqa: E402
from shim.stores.sqlite import SQLiteNonces  # noqa: E402

MUTE = next(endpoint for endpoint in ENDPOINTS if endpoint.name == "mutes/users/create")
CALLER = Caller(TOKEN.split("-")[0])
KEY_BYTES = signing_key(SECRET, TOKEN_SECRET)
REFUSED = web.Response(status=401, body=b'{"errors":[{"code":32,"message":"refused"}]}')


def app(upstream: str) -> web.Application:
    nonces = SQLiteNonces(sqlite3.connect(f"{tempfile.mkdtemp()}/floor.db", isolation_level=None))
    session: dict[str, ClientSession] = {}

    def authorization(call: V2Call, url: str) -> str:
        oauth = {
            "oauth_consumer_key": KEY,
            "oauth_nonce": secrets.token_hex(16),
            "oauth_signature_method": "HMAC-SHA1",
            "oauth_timestamp": str(int(time.time())),
            "oauth_token": TOKEN,
            "oauth_version": "1.0",
        }
        base = base_string(call.method, url, (*call.params, *oauth.items()))
        oauth["oauth_signature"] = quote(hmac_sha1(KEY_BYTES, base), safe="~")
        return "OAuth " + ", ".join(f'{k}="{v}"' for k, v in oauth.items())

    async def send(call: V2Call) -> V2Reply:
        url = upstream + call.path
        headers = {"authorization": authorization(call, url)}
        if call.params:
            url += "?" + urlencode(call.params)
        body = json.dumps(call.json).encode() if call.json is not None else None
        if body is not None:
            headers["content-type"] = "application/json"
        async with session["v2"].request(call.method, url, data=body, headers=headers) as got:
            return V2Reply(got.status, dict(got.headers), json.loads(await got.read()))

    async def mute(request: web.Request) -> web.Response:
        oauth = direct.ordinary(request.headers, time.time(), TIMESTAMP_WINDOW)
        if oauth is None or oauth["oauth_consumer_key"] != KEY or oauth["oauth_token"] != TOKEN:
            return REFUSED
        body = await request.read()
        uri = f"http://{request.host}{request.path_qs}"
        signed = direct.check(
            uri, request.method, body, request.headers, oauth, (SECRET, TOKEN_SECRET)
        )
        if not isinstance(signed, direct.Signed):
            return REFUSED
        try:
            await first_use(nonces, signed)
        except NotAuthenticated:
            return REFUSED
        params = tuple(parse_qsl(request.query_string, keep_blank_values=True))
        steps = run(MUTE, V11Request("POST", MUTE.path, params), Known(CALLER))
        batch: Any = next(steps)
        try:
            while True:
                batch = steps.send(tuple(await asyncio.gather(*map(send, batch))))
        except StopIteration as stopped:
            reply = stopped.value.answer()
        content = json.dumps(reply.body, separators=(",", ":")).encode()
        return web.Response(status=reply.status, body=content, headers={"content-type": V11_JSON})

    async def started(application: web.Application) -> None:
        session["v2"] = ClientSession(connector=TCPConnector(limit=100))

    async def stopped(application: web.Application) -> None:
        await session["v2"].close()

    application = web.Application()
    application.router.add_post(MUTE.path, mute)
    application.on_startup.append(started)
    application.on_cleanup.append(stopped)
    return application


if __name__ == "__main__":
    serve(app)
