"""How the simulated X tells who is calling: each request's OAuth 1.0a signature made again
with the app's keys and the token it names, as X checks it (oauthlib's client signs the same
request), or a bearer token it knows; and the form the sign-in's tokens are granted in."""

from collections.abc import Mapping
from urllib.parse import unquote

import httpx2
from oauthlib.oauth1 import Client
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header

from shim.sandbox.answers import CONSUMER_KEY, CONSUMER_SECRET, Token

SIGNED = {"oauth_nonce", "oauth_timestamp", "oauth_signature"}


def signer(
    request: httpx2.Request, tokens: Mapping[str, Token], bearers: Mapping[str, Token]
) -> Token | None:
    """The token whose credentials signed the request, if the signature checks out."""
    header = request.headers.get("authorization", "")
    if header.startswith("Bearer "):
        return bearers.get(header.removeprefix("Bearer "))
    params = oauth_params(request)
    token = tokens.get(params.get("oauth_token", ""))
    if token is None or params.get("oauth_consumer_key") != CONSUMER_KEY:
        return None
    return token if signed_by(request, params, token) else None


def oauth_params(request: httpx2.Request) -> dict[str, str]:
    """The OAuth parameters of the request's Authorization header, decoded (none if it has
    none): a callback URL is signed as itself, not as its percent-encoding (RFC 5849 3.5.1)."""
    return header_params(request.headers.get("authorization", ""))


def header_params(header: str) -> dict[str, str]:
    try:
        return {k: unquote(v) for k, v in parse_authorization_header(header)}
    except ValueError:
        return {}


def signed_by(request: httpx2.Request, params: dict[str, str], token: Token | None) -> bool:
    """Whether the request's signature is the one these credentials make."""
    if not set(params) >= SIGNED:
        return False
    client = Client(
        CONSUMER_KEY,
        client_secret=CONSUMER_SECRET,
        resource_owner_key=token.token if token else None,
        resource_owner_secret=token.secret if token else None,
        callback_uri=params.get("oauth_callback"),
        verifier=params.get("oauth_verifier"),
        nonce=params["oauth_nonce"],
        timestamp=params["oauth_timestamp"],
    )
    form = request.headers.get("content-type", "").startswith("application/x-www-form")
    body = request.content.decode() if form and request.content else None
    headers = {"Content-Type": request.headers["content-type"]} if body else {}
    _, signed, _ = client.sign(str(request.url), request.method, body, headers)
    return bool(
        header_params(signed["Authorization"])["oauth_signature"] == params["oauth_signature"]
    )


def granted(token: Token, **extra: str) -> httpx2.Response:
    """A token granted by the sign-in, form-encoded as X sends it (with X's content type)."""
    form = {"oauth_token": token.token, "oauth_token_secret": token.secret, **extra}
    return httpx2.Response(
        200,
        headers={"content-type": "text/html; charset=utf-8"},
        content=str(httpx2.QueryParams(form)).encode(),
    )
