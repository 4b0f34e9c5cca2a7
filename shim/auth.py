"""OAuth 1.0a both ways: verify the legacy client's signature, sign the shim's own v2 calls.

The client signed the shim's URL, so its signature cannot be forwarded; every upstream call is
signed anew with the same consumer key and the caller's token (reference README, "Pitfalls").
"""

import hashlib
import hmac
import string
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx2
from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1 import Client, RequestValidator, ResourceEndpoint
from oauthlib.oauth1.rfc5849 import SIGNATURE_HMAC_SHA1

from mappings.errors import V11Error
from shim.nonces import Nonces

TIMESTAMP_WINDOW = 300
"""Seconds a request's oauth_timestamp may be from the shim's clock either way."""

FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class Credentials:
    """A user's OAuth 1.0a credentials, as the shim signs v2 calls with them."""

    consumer_key: str
    consumer_secret: str = field(repr=False)
    token: str = field(repr=False)
    token_secret: str = field(repr=False)

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


class Validator(RequestValidator):  # type: ignore[misc]
    """oauthlib's checks tuned to what Twitter and its real clients send."""

    # Twitter accepted HMAC-SHA1 only; oauthlib would also take PLAINTEXT.
    allowed_signature_methods = (SIGNATURE_HMAC_SHA1,)
    # Real tokens are `<user id>-<40 characters>` and nonces vary by client (reference "Pitfalls").
    safe_characters = frozenset(string.ascii_letters + string.digits + "-_.~")
    client_key_length = (8, 64)
    access_token_length = (8, 128)
    nonce_length = (8, 128)
    timestamp_lifetime = TIMESTAMP_WINDOW
    # TLS may end at a terminator in front of the shim; the URL checked is SHIM_PUBLIC_URL's.
    enforce_ssl = False
    dummy_client = "dummy-client-key"
    dummy_access_token = "dummy-access-token"

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        token_secret: Callable[[str], str | None],
        nonces: Nonces,
    ) -> None:
        super().__init__()
        self._consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self._token_secret = token_secret
        self.nonces = nonces

    def validate_client_key(self, client_key: str, request: OAuthRequest) -> bool:
        return hmac.compare_digest(client_key, self._consumer_key)

    def get_client_secret(self, client_key: str, request: OAuthRequest) -> str:
        known = hmac.compare_digest(client_key, self._consumer_key)
        return self.consumer_secret if known else "dummy"

    def validate_access_token(self, client_key: str, token: str, request: OAuthRequest) -> bool:
        request.token_secret = self._token_secret(token)
        return request.token_secret is not None

    def get_access_token_secret(self, client_key: str, token: str, request: OAuthRequest) -> str:
        # oauthlib still computes a signature for unknown tokens, against a dummy secret, so
        # that refusing them takes as long as refusing a bad signature.
        return getattr(request, "token_secret", None) or "dummy"

    def validate_realms(self, *args: Any, **kwargs: Any) -> bool:
        return True

    def validate_timestamp_and_nonce(
        self,
        client_key: str,
        timestamp: str,
        nonce: str,
        request: OAuthRequest,
        request_token: str | None = None,
        access_token: str | None = None,
    ) -> bool:
        # Only look here: a nonce is recorded once the signature is valid (`Verifier.verify`), so a
        # forged request cannot burn a real client's nonce.
        return not self.nonces.seen(nonce_key(client_key, access_token or "", timestamp, nonce))


def nonce_key(client_key: str, token: str, timestamp: str, nonce: str) -> str:
    """A fixed-size key for the replay store; it holds no usable credential."""
    raw = "\n".join((client_key, token, timestamp, nonce)).encode()
    return hashlib.sha256(raw).hexdigest()


def refusal_code(request: OAuthRequest | None, now: float) -> int:
    """The v1.1 code for a request oauthlib refused, from what it got to check."""
    if request is None:
        return 215
    mandatory = (request.signature, request.client_key, request.nonce, request.timestamp)
    if not all(mandatory) or not request.resource_owner_key:
        return 215
    log = request.validator_log
    if not log:
        # Refused before the signature check: format, timestamp, nonce already seen.
        return 135 if _out_of_window(request.timestamp, now) else 32
    if not log["resource_owner"]:
        return 89
    return 32


def _out_of_window(timestamp: str, now: float) -> bool:
    return timestamp.isdigit() and abs(now - int(timestamp)) > TIMESTAMP_WINDOW


class Verifier:
    """Checks an incoming request's OAuth 1.0a signature and returns the caller's credentials."""

    def __init__(self, validator: Validator, clock: Callable[[], float] = time.time) -> None:
        self._validator = validator
        self._endpoint = ResourceEndpoint(validator)
        self._clock = clock

    def verify(self, uri: str, method: str, body: str, headers: Mapping[str, str]) -> Credentials:
        """The caller's credentials, or a V11Error saying why the request is refused."""
        if not headers.get("authorization", "").lower().startswith("oauth "):
            raise V11Error(215)
        try:
            valid, request = self._endpoint.validate_protected_resource_request(
                uri, method, body or None, dict(headers)
            )
        except ValueError:  # oauthlib's parsers raise it for undecodable parameters
            raise V11Error(215) from None
        if not valid:
            raise V11Error(refusal_code(request, self._clock()))
        key = nonce_key(
            request.client_key, request.resource_owner_key, request.timestamp, request.nonce
        )
        # Two copies of one request can both pass `seen`; only the first `add` wins.
        if not self._validator.nonces.add(key, 2 * TIMESTAMP_WINDOW):
            raise V11Error(32)
        return Credentials(
            request.client_key,
            self._validator.consumer_secret,
            request.resource_owner_key,
            request.token_secret,
        )


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
            resource_owner_key=credentials.token,
            resource_owner_secret=credentials.token_secret,
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
