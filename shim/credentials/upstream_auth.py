"""Signing the shim's own upstream calls: OAuth 1.0a anew with the caller's credentials, or the
caller's OAuth 2.0 token passed on as it came.

The client signed the shim's URL, so its signature cannot be forwarded (reference README,
"Pitfalls"): every upstream call gets its own.
"""

import re
import secrets
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote_plus, urlencode

import httpx2
from oauthlib.oauth1 import Client

from shim.credentials.hmac_signer import authorization, signing_key
from shim.errors import BadAuthData
from shim.stores.tokens import digest

FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class Credentials:
    """A user's OAuth 1.0a credentials, as the shim signs v2 calls with them."""

    consumer_key: str
    consumer_secret: str = field(repr=False)
    token: str = field(repr=False)
    token_secret: str = field(repr=False)
    # Sign-in steps carry these too: oauth/request_token's callback, oauth/access_token's verifier.
    callback: str | None = None
    verifier: str | None = field(default=None, repr=False)
    # Sign upstream calls with `shim.credentials.hmac_signer`, else oauthlib (SHIM_SPEEDUPS).
    by_hand: bool = field(default=True, repr=False, compare=False)

    @property
    def key(self) -> str:
        """Whose these are, for caches and shares: the app's key and the token, as verified. A
        token's text is public (every signed request carries it): alone it names nobody."""
        return digest(f"oauth1\n{self.consumer_key}\n{self.token}")

    def auth(self) -> httpx2.Auth:
        return OAuth1(self)


@dataclass(frozen=True, slots=True)
class Bearer:
    """An OAuth 2.0 token the client sent; the shim holds no secret for it and passes it on."""

    token: str = field(repr=False)

    @property
    def key(self) -> str:
        """Whose this is, for caches and shares: never the key of OAuth 1.0a credentials whose
        token has the same text."""
        return digest(f"bearer\n{self.token}")

    def auth(self) -> httpx2.Auth:
        return BearerAuth(self.token)


def without_oauth(encoded: str) -> str:
    """A query or form body without the client's own OAuth parameters (RFC 5849 §3.5.2, §3.5.3),
    the rest byte for byte: they are the client's credentials, and the shim signs its own call
    in the header."""
    parts = encoded.split("&")
    return "&".join(p for p in parts if not unquote_plus(p.partition("=")[0]).startswith("oauth_"))


TOKEN = re.compile(r"[!-~]+")


def bearer_token(authorization: str) -> Bearer | None:
    """The token of an `Authorization: Bearer …` header, or None for any other scheme."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    # Visible ASCII, one word, as every token X issues is: anything else is no token, and a
    # control character could not even be sent on (aiohttp refuses it in a header).
    if not TOKEN.fullmatch(token := token.strip()):
        raise BadAuthData
    return Bearer(token)


class BearerAuth(httpx2.Auth):
    """Passes an OAuth 2.0 token on to v2 as it came."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(
        self, request: httpx2.Request
    ) -> Generator[httpx2.Request, httpx2.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


class OAuth1(httpx2.Auth):
    """Signs an upstream request with a user's OAuth 1.0a credentials (HMAC-SHA1, header): by
    hand (`shim.credentials.hmac_signer`), or with oauthlib's `Client` when SHIM_SPEEDUPS is off."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials
        self._key = signing_key(credentials.consumer_secret, credentials.token_secret)

    def auth_flow(
        self, request: httpx2.Request
    ) -> Generator[httpx2.Request, httpx2.Response, None]:
        request.headers["Authorization"] = self.header(request)
        yield request

    def header(
        self, request: httpx2.Request, nonce: str | None = None, timestamp: str | None = None
    ) -> str:
        """The Authorization header for the request; nonce and timestamp fixed for tests."""
        credentials, form = (
            self._credentials,
            request.headers.get("content-type", "").startswith(FORM),
        )
        nonce, timestamp = nonce or secrets.token_hex(16), timestamp or str(int(time.time()))
        if not credentials.by_hand:
            return _oauthlib_header(credentials, request, form, nonce, timestamp)
        oauth = {"oauth_consumer_key": credentials.consumer_key}
        extras = (
            ("oauth_callback", credentials.callback),
            ("oauth_token", credentials.token),
            ("oauth_verifier", credentials.verifier),
        )
        oauth |= {
            "oauth_nonce": nonce,
            "oauth_signature_method": "HMAC-SHA1",
            "oauth_timestamp": timestamp,
            "oauth_version": "1.0",
        } | {name: value for name, value in extras if value}
        return authorization(request, form, oauth, self._key)


def oauthlib_client(credentials: Credentials, nonce: str, timestamp: str) -> Client:
    """oauthlib's signer for these credentials (SHIM_SPEEDUPS=off, and the tests' reference)."""
    return Client(
        credentials.consumer_key,
        client_secret=credentials.consumer_secret,
        resource_owner_key=credentials.token or None,
        resource_owner_secret=credentials.token_secret or None,
        callback_uri=credentials.callback,
        verifier=credentials.verifier,
        nonce=nonce,
        timestamp=timestamp,
    )


def _oauthlib_header(
    credentials: Credentials, request: httpx2.Request, form: bool, nonce: str, timestamp: str
) -> str:
    """The Authorization header oauthlib's `Client` signs. It refuses a body on a GET or HEAD,
    which no client signed with oauthlib sends either: such a body goes unsigned."""
    signed = form and request.method not in ("GET", "HEAD")
    # Re-encoded as pairs, which oauthlib reads whatever bytes the client's form held.
    body = (
        urlencode(parse_qsl(request.content.decode(), keep_blank_values=True)) if signed else None
    )
    headers = {"Content-Type": FORM} if signed else {}
    client = oauthlib_client(credentials, nonce, timestamp)
    _, signed_headers, _ = client.sign(str(request.url), request.method, body, headers)
    header: str = signed_headers["Authorization"]
    return header
