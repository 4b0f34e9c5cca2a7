"""Signing the shim's own upstream calls: OAuth 1.0a anew with the caller's credentials, or the
caller's OAuth 2.0 token passed on as it came.

The client signed the shim's URL, so its signature cannot be forwarded (reference README,
"Pitfalls"): every upstream call gets its own.
"""

from collections.abc import Generator
from dataclasses import dataclass, field

import httpx2
from oauthlib.oauth1 import Client

from mappings.errors import V11Error

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

    def auth(self) -> httpx2.Auth:
        return OAuth1(self)


@dataclass(frozen=True, slots=True)
class Bearer:
    """An OAuth 2.0 token the client sent; the shim holds no secret for it and passes it on."""

    token: str = field(repr=False)

    def auth(self) -> httpx2.Auth:
        return BearerAuth(self.token)


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
    """Signs an upstream request with a user's OAuth 1.0a credentials (HMAC-SHA1, header)."""

    def __init__(self, credentials: Credentials) -> None:
        self._client = Client(
            credentials.consumer_key,
            client_secret=credentials.consumer_secret,
            resource_owner_key=credentials.token or None,
            resource_owner_secret=credentials.token_secret or None,
            callback_uri=credentials.callback,
            verifier=credentials.verifier,
        )

    def auth_flow(
        self, request: httpx2.Request
    ) -> Generator[httpx2.Request, httpx2.Response, None]:
        # Only a form body is part of an OAuth 1.0a signature; a JSON body is not.
        content_type = request.headers.get("content-type", "")
        body = request.content.decode() if content_type.startswith(FORM) else None
        headers = {"Content-Type": content_type} if body is not None else {}
        _, signed, _ = self._client.sign(str(request.url), request.method, body, headers)
        request.headers["Authorization"] = signed["Authorization"]
        yield request
