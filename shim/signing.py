"""Signing the shim's own upstream calls: OAuth 1.0a anew with the caller's credentials, or the
caller's OAuth 2.0 token passed on as it came.

The client signed the shim's URL, so its signature cannot be forwarded (reference README,
"Pitfalls"): every upstream call gets its own.
"""

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote_plus

import httpx2

from mappings.errors import V11Error
from shim.credentials import digest

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


def bearer_token(authorization: str) -> Bearer | None:
    """The token of an `Authorization: Bearer …` header, or None for any other scheme."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    if not token.strip():
        raise V11Error(215)
    return Bearer(token.strip())


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
    """Signs an upstream request with a user's OAuth 1.0a credentials (HMAC-SHA1, header).

    RFC 5849 section 3.4 by hand: oauthlib's generic client took half a millisecond a call in
    the benchmark, most of it percent-encoding, and the shim signs two calls for most requests.
    Incoming signatures are still checked by oauthlib; tests check this signer against it.
    """

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
        oauth = {"oauth_consumer_key": self._credentials.consumer_key}
        extras = (
            ("oauth_callback", self._credentials.callback),
            ("oauth_token", self._credentials.token),
            ("oauth_verifier", self._credentials.verifier),
        )
        oauth |= {
            "oauth_nonce": nonce or secrets.token_hex(16),
            "oauth_signature_method": "HMAC-SHA1",
            "oauth_timestamp": timestamp or str(int(time.time())),
            "oauth_version": "1.0",
        } | {name: value for name, value in extras if value}
        # Only a form body is part of the signature; a JSON body is not (RFC 5849 3.4.1.3.1).
        form = request.headers.get("content-type", "").startswith(FORM)
        body = parse_qsl(request.content.decode(), keep_blank_values=True) if form else []
        url = request.url
        port = "" if url.port in (None, 80 if url.scheme == "http" else 443) else f":{url.port}"
        path = url.raw_path.split(b"?", 1)[0].decode("ascii")
        base = base_string(
            request.method,
            f"{url.scheme.lower()}://{url.host.lower()}{port}{path}",
            (*request.url.params.multi_items(), *body, *oauth.items()),
        )
        oauth["oauth_signature"] = hmac_sha1(self._key, base)
        return "OAuth " + ", ".join(f'{_pct(k)}="{_pct(v)}"' for k, v in oauth.items())


def base_string(method: str, base_uri: str, params: Iterable[tuple[str, str]]) -> str:
    """RFC 5849 3.4.1: the text an HMAC-SHA1 signature is made of; `base_uri` is already
    normalised (scheme and host in lower case, no default port, the path as sent)."""
    pairs = sorted((_pct(k), _pct(v)) for k, v in params)
    # Encoded once, they hold only unreserved characters and `%XX`; joined, `=` and `&` too:
    # encoding them again changes just those three (`%` first: the others bring new ones).
    joined = "&".join(f"{k}={v}" for k, v in pairs)
    encoded = joined.replace("%", "%25").replace("=", "%3D").replace("&", "%26")
    return "&".join((method.upper(), _pct(base_uri), encoded))


def signing_key(consumer_secret: str, token_secret: str) -> bytes:
    return f"{_pct(consumer_secret)}&{_pct(token_secret)}".encode()


def hmac_sha1(key: bytes, base: str) -> str:
    return base64.b64encode(hmac.new(key, base.encode(), hashlib.sha1).digest()).decode()


_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]*")


def _pct(value: str) -> str:
    """RFC 5849 3.6: percent-encode all but the unreserved characters (most values, ids and
    nonces, have none to encode, and quote() goes through a string a character at a time)."""
    return value if _UNRESERVED.fullmatch(value) else quote(value, safe="~")
