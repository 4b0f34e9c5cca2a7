"""Verifying the legacy client's OAuth 1.0a signature, with oauthlib, against the URL it signed.

The checks are tuned to what Twitter accepted and real clients send; each refusal maps to the
v1.1 code Twitter gave for it.
"""

import hashlib
import hmac
import string
import time
from collections.abc import Callable, Mapping
from typing import Any

from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1 import (
    AccessTokenEndpoint,
    RequestTokenEndpoint,
    RequestValidator,
    ResourceEndpoint,
)
from oauthlib.oauth1.rfc5849 import SIGNATURE_HMAC_SHA1
from oauthlib.oauth1.rfc5849.errors import OAuth1Error

from mappings.errors import V11Error
from mappings.params import number
from shim.nonces import Nonces
from shim.signing import Credentials

TIMESTAMP_WINDOW = 300
"""Seconds a request's oauth_timestamp may be from the shim's clock either way."""


class Validator(RequestValidator):  # type: ignore[misc]
    """oauthlib's checks tuned to what Twitter and its real clients send."""

    # Twitter accepted HMAC-SHA1 only; oauthlib would also take PLAINTEXT.
    allowed_signature_methods = (SIGNATURE_HMAC_SHA1,)
    # Real tokens are `<user id>-<40 characters>` and nonces vary by client (reference "Pitfalls").
    safe_characters = frozenset(string.ascii_letters + string.digits + "-_.~")
    client_key_length = (8, 64)
    access_token_length = (8, 128)
    request_token_length = (8, 128)
    nonce_length = (8, 128)
    verifier_length = (1, 128)  # the PIN of the out-of-band flow is 7 digits
    timestamp_lifetime = TIMESTAMP_WINDOW
    # TLS may end at a terminator in front of the shim; the URL checked is SHIM_PUBLIC_URL's.
    enforce_ssl = False
    dummy_client = "dummy-client-key"
    dummy_access_token = "dummy-access-token"
    dummy_request_token = "dummy-request-token"

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        token_secret: Callable[[str], str | None],
        nonces: Nonces,
        request_token_secret: Callable[[str], str | None] = lambda token: None,
    ) -> None:
        super().__init__()
        self._consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self._token_secret = token_secret
        self._request_token_secret = request_token_secret
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

    def validate_request_token(self, client_key: str, token: str, request: OAuthRequest) -> bool:
        request.token_secret = self._request_token_secret(token)
        return request.token_secret is not None

    def get_request_token_secret(self, client_key: str, token: str, request: OAuthRequest) -> str:
        return getattr(request, "token_secret", None) or "dummy"

    def validate_realms(self, *args: Any, **kwargs: Any) -> bool:
        return True

    def get_default_realms(self, *args: Any, **kwargs: Any) -> list[str]:
        return []

    # The upstream checks these when the sign-in reaches it; the shim only checks signatures.
    def validate_requested_realms(self, *args: Any, **kwargs: Any) -> bool:
        return True

    def validate_redirect_uri(self, *args: Any, **kwargs: Any) -> bool:
        return True

    def validate_verifier(self, *args: Any, **kwargs: Any) -> bool:
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


def refusal_code(request: OAuthRequest | None, now: float, *, needs_token: bool = True) -> int:
    """The v1.1 code for a request oauthlib refused, from what it got to check."""
    if request is None:
        return 215
    mandatory = (request.signature, request.client_key, request.nonce, request.timestamp)
    if not all(mandatory) or (needs_token and not request.resource_owner_key):
        return 215
    log = request.validator_log
    if not log:
        # Refused before the signature check: format, timestamp, nonce already seen.
        return 135 if _out_of_window(request.timestamp, now) else 32
    if not log.get("resource_owner", True):
        return 89
    return 32


def _out_of_window(timestamp: str, now: float) -> bool:
    seconds = number(timestamp)
    return seconds is not None and abs(now - seconds) > TIMESTAMP_WINDOW


def _check_scheme(headers: Mapping[str, str]) -> None:
    if not headers.get("authorization", "").lower().startswith("oauth "):
        raise V11Error(215)


class Verifier:
    """Checks an incoming request's OAuth 1.0a signature and returns the caller's credentials."""

    def __init__(self, validator: Validator, clock: Callable[[], float] = time.time) -> None:
        self._validator = validator
        self._resource = ResourceEndpoint(validator)
        self._request_token = RequestTokenEndpoint(validator)
        self._access_token = AccessTokenEndpoint(validator)
        self._clock = clock

    def verify(self, uri: str, method: str, body: str, headers: Mapping[str, str]) -> Credentials:
        """The caller's credentials, or a V11Error saying why the request is refused."""
        _check_scheme(headers)
        try:
            valid, request = self._resource.validate_protected_resource_request(
                uri, method, body or None, dict(headers)
            )
        except ValueError:  # oauthlib's parsers raise it for undecodable parameters
            raise V11Error(215) from None
        if not valid:
            raise V11Error(refusal_code(request, self._clock()))
        return self._accepted(request)

    def verify_sign_in(
        self, step: str, uri: str, method: str, body: str, headers: Mapping[str, str]
    ) -> Credentials:
        """What to sign a sign-in step upstream with: `request_token`, signed by the app alone,
        or `access_token`, signed with a request token the shim saw the upstream issue."""
        _check_scheme(headers)
        try:
            request = self._resource._create_request(uri, method, body or None, dict(headers))
        except (OAuth1Error, ValueError):
            raise V11Error(215) from None
        if step == "request_token":
            if not request.redirect_uri:  # Twitter's apps sign in with a callback, or "oob"
                raise V11Error(215)
            validate = self._request_token.validate_request_token_request
        else:
            validate = self._access_token.validate_access_token_request
        try:
            valid, _ = validate(request)
        except OAuth1Error:
            valid = False
        if not valid:
            raise V11Error(
                refusal_code(request, self._clock(), needs_token=step != "request_token")
            )
        return self._accepted(request)

    def _accepted(self, request: OAuthRequest) -> Credentials:
        """Record the nonce of a request whose signature is valid, and say who signed it."""
        key = nonce_key(
            request.client_key, request.resource_owner_key or "", request.timestamp, request.nonce
        )
        # Two copies of one request can both pass `seen`; only the first `add` wins.
        if not self._validator.nonces.add(key, 2 * TIMESTAMP_WINDOW):
            raise V11Error(32)
        return Credentials(
            request.client_key,
            self._validator.consumer_secret,
            request.resource_owner_key or "",
            getattr(request, "token_secret", None) or "",
            callback=request.redirect_uri,
            verifier=request.verifier,
        )
