"""OAuth 1.0a sign-in through the shim: oauth/request_token with the app's signature, then
oauth/access_token with the request token's; the token granted at the end is stored, so the
new user can call through the shim at once."""

import logging
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from shim.credentials.verifier import Verifier
from shim.serving import passthrough
from shim.stores.protocols import Cache, Tokens
from shim.stores.tokens import mask
from shim.upstream.client import Upstream

log = logging.getLogger("shim")


async def sign_in(
    step: str,
    url: str,
    request: Request,
    body: bytes,
    verifier: Verifier,
    upstream: Upstream,
    request_tokens: Cache[str],
    tokens: Tokens,
) -> Response:
    """One step (`request_token` or `access_token`) for the request the client signed for `url`.
    Between the two steps the request token's secret waits in `request_tokens`."""
    credentials = await verifier.verify_sign_in(
        step, url, request.method, body, request.headers, request_tokens.get
    )
    response, content = await passthrough.exchange(upstream, request, body, credentials.auth())
    granted = dict(parse_qsl(content.decode(errors="replace")))
    token, secret = granted.get("oauth_token"), granted.get("oauth_token_secret")
    if response.status_code == 200 and token and secret:
        if step == "request_token":
            await request_tokens.put(token, secret)
        else:
            await tokens.add(token, secret)
            log.info("signed in: stored %s", mask(token))
    return response
