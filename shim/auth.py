"""Verifying the legacy client's OAuth 1.0a signature, with oauthlib, against the URL it signed.

The checks are tuned to what Twitter accepted and real clients send; each refusal maps to the
v1.1 code Twitter gave for it.
"""

import base64
import hashlib
import hmac
import re
import string
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

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
from shim.signing import FORM, Credentials, base_string, hmac_sha1, signing_key

TIMESTAMP_WINDOW = 300
"""Seconds a request's oauth_timestamp may be from the shim's clock either way."""


class Validator(RequestValidator):  # type: ignore[misc]
    """oauthlib's checks tuned to what Twitter and its real clients send, for one request: the
    shim looks the token's secret up before oauthlib runs, so a store may be asynchronous."""

    # Twitter accepted HMAC-SHA1 only; oauthlib would also take PLAINTEXT.
    allowed_signature_methods = (SIGNATURE_HMAC_SHA1,)
    # Real tokens are `<user id>-<40 characters>` and nonces vary by client (reference "Pitfalls").
    safe_characters = frozenset(string.ascii_letters + string.digits + "-_.~")
    client_key_length = (8, 64)
    access_token_length = (8, 128)
    request_token_length = (8, 128)
    nonce_length = (8, 128)
    verifier_length = (1, 128)  # the PIN of the out-of-band flow is 7 digits
    # The shim judges timestamps itself, on the clock its nonce store keeps time by.
    timestamp_lifetime = 1 << 62
    # TLS may end at a terminator in front of the shim; the URL checked is SHIM_PUBLIC_URL's.
    enforce_ssl = False
    dummy_client = "dummy-client-key"
    dummy_access_token = "dummy-access-token"
    dummy_request_token = "dummy-request-token"

    def __init__(
        self, consumer_key: str, consumer_secret: str, token: str, token_secret: str | None
    ) -> None:
        super().__init__()
        self._consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self._token = token
        self._secret = token_secret

    def _secret_of(self, token: str) -> str | None:
        return self._secret if token == self._token else None

    def validate_client_key(self, client_key: str, request: OAuthRequest) -> bool:
        return hmac.compare_digest(client_key, self._consumer_key)

    def get_client_secret(self, client_key: str, request: OAuthRequest) -> str:
        known = hmac.compare_digest(client_key, self._consumer_key)
        return self.consumer_secret if known else "dummy"

    def validate_access_token(self, client_key: str, token: str, request: OAuthRequest) -> bool:
        request.token_secret = self._secret_of(token)
        return request.token_secret is not None

    def get_access_token_secret(self, client_key: str, token: str, request: OAuthRequest) -> str:
        # oauthlib still computes a signature for unknown tokens, against a dummy secret, so
        # that refusing them takes as long as refusing a bad signature.
        return getattr(request, "token_secret", None) or "dummy"

    def validate_request_token(self, client_key: str, token: str, request: OAuthRequest) -> bool:
        request.token_secret = self._secret_of(token)
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

    def validate_timestamp_and_nonce(self, *args: Any, **kwargs: Any) -> bool:
        # Both are the shim's own checks: the window before oauthlib runs, the nonce once the
        # signature is valid (`Verifier._accepted`), so a forged request cannot burn a real
        # client's nonce.
        return True


def nonce_key(client_key: str, token: str, timestamp: str, nonce: str) -> str:
    """A fixed-size key for the replay store; it holds no usable credential."""
    raw = "\n".join((client_key, token, timestamp, nonce)).encode()
    return hashlib.sha256(raw).hexdigest()


SecretOf = Callable[[str], Awaitable[str | None]]
"""Where a token's secret is looked up: the token store, or the request tokens sign-in issued."""


def refusal_code(request: OAuthRequest | None, *, needs_token: bool = True) -> int:
    """The v1.1 code for a request oauthlib refused, from what it got to check."""
    if request is None:
        return 215
    mandatory = (request.signature, request.client_key, request.nonce, request.timestamp)
    if not all(mandatory) or (needs_token and not request.resource_owner_key):
        return 215
    if not request.validator_log.get("resource_owner", True):
        return 89
    return 32


def _check_scheme(headers: Mapping[str, str]) -> None:
    """An Authorization header, where there is one, is OAuth's; without one the parameters may
    be in the form body or the query (RFC 5849 §3.5), and oauthlib finds them there, refusing
    a request that has them in more than one place."""
    header = headers.get("authorization")
    if header is not None and not header.lower().startswith("oauth "):
        raise V11Error(215)


def _body_hash_matches(request: OAuthRequest, body: bytes) -> bool:
    """oauth_body_hash, where the client sent one, is the SHA-1 of the body it signed (the
    OAuth Request Body Hash extension tweepy and requests-oauthlib follow for JSON bodies)."""
    sent = request.oauth_params.get("oauth_body_hash")
    if sent is None:
        return True
    digest = base64.b64encode(hashlib.sha1(body).digest()).decode()
    return hmac.compare_digest(sent, digest)


class Verifier:
    """Checks an incoming request's OAuth 1.0a signature and returns the caller's credentials."""

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        nonces: Nonces,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._consumer_key = consumer_key
        self._consumer_secret = consumer_secret
        self._nonces = nonces
        self._clock = clock

    async def verify(
        self, uri: str, method: str, body: bytes, headers: Mapping[str, str], secret_of: SecretOf
    ) -> Credentials:
        """The caller's credentials, or a V11Error saying why the request is refused.

        The ordinary request (every OAuth value in the header, a plain query and form body, a
        known token) is checked directly; anything else, and any request the direct check
        does not find valid, goes to oauthlib, which says why it is refused. So the direct
        check only ever accepts what oauthlib accepts (tests/shim/test_fast_verify.py)."""
        fast = await self.direct(uri, method, body, headers, secret_of)
        if fast is not None:
            return await self._accept(fast, body)
        request = await self._prepare(uri, method, body, headers, secret_of)
        endpoint = ResourceEndpoint(self._validator(request))
        valid, checked = endpoint.validate_protected_resource_request(
            uri, method, _text(body) or None, dict(headers)
        )
        if not valid:
            raise V11Error(refusal_code(checked))
        return await self._accepted(checked, body)

    async def verify_sign_in(
        self,
        step: str,
        uri: str,
        method: str,
        body: bytes,
        headers: Mapping[str, str],
        secret_of: SecretOf,
    ) -> Credentials:
        """What to sign a sign-in step upstream with: `request_token`, signed by the app alone,
        or `access_token`, signed with a request token the shim saw the upstream issue."""
        request = await self._prepare(uri, method, body, headers, secret_of)
        validator = self._validator(request)
        if step == "request_token":
            if not request.redirect_uri:  # Twitter's apps sign in with a callback, or "oob"
                raise V11Error(215)
            validate = RequestTokenEndpoint(validator).validate_request_token_request
        else:
            validate = AccessTokenEndpoint(validator).validate_access_token_request
        try:
            valid, _ = validate(request)
        except OAuth1Error:
            valid = False
        if not valid:
            raise V11Error(refusal_code(request, needs_token=step != "request_token"))
        return await self._accepted(request, body)

    async def _prepare(
        self, uri: str, method: str, body: bytes, headers: Mapping[str, str], secret_of: SecretOf
    ) -> OAuthRequest:
        """The request's OAuth parameters, its timestamp checked, its token's secret found."""
        _check_scheme(headers)
        try:
            request = ResourceEndpoint(None)._create_request(
                uri, method, _text(body) or None, dict(headers)
            )
        except (OAuth1Error, ValueError):  # oauthlib's parsers raise ValueError too
            raise V11Error(215) from None
        if request.timestamp is not None:
            # ASCII digits only: `int` would also read "١٢٣٤٥٦٧٨٩٠".
            seconds = number(request.timestamp)
            if seconds is None:
                raise V11Error(215)
            if abs(self._clock() - seconds) > TIMESTAMP_WINDOW:
                raise V11Error(135)
        token = request.resource_owner_key
        request.token_secret = await secret_of(token) if token else None
        return request

    def _validator(self, request: OAuthRequest) -> Validator:
        return Validator(
            self._consumer_key,
            self._consumer_secret,
            request.resource_owner_key or "",
            request.token_secret,
        )

    async def direct(
        self, uri: str, method: str, body: bytes, headers: Mapping[str, str], secret_of: SecretOf
    ) -> "Signed | None":
        """The request's signed values when it is an ordinary one with a valid signature;
        None for anything else (oauthlib then decides)."""
        header = headers.get("authorization", "")
        if header[:6].lower() != "oauth " or headers.get("content-encoding"):
            return None
        oauth = _header_params(header[6:])
        if oauth is None or set(oauth) - ORDINARY or not set(oauth) >= REQUIRED:
            return None
        if (
            oauth["oauth_signature_method"] != "HMAC-SHA1"
            or oauth.get("oauth_version", "1.0") != "1.0"
        ):
            return None
        key, token, nonce = oauth["oauth_consumer_key"], oauth["oauth_token"], oauth["oauth_nonce"]
        if not (
            SAFE_KEY.fullmatch(key) and SAFE_TOKEN.fullmatch(token) and SAFE_NONCE.fullmatch(nonce)
        ):
            return None
        seconds = number(oauth["oauth_timestamp"])
        if len(oauth["oauth_timestamp"]) != 10 or seconds is None:  # oauthlib's size check
            return None
        if abs(self._clock() - seconds) > TIMESTAMP_WINDOW:
            return None
        if not hmac.compare_digest(key, self._consumer_key):
            return None
        parts = urlsplit(uri)
        form = FORM in headers.get("content-type", "")
        encoded = [parts.query, body.decode("ascii", "replace") if form else ""]
        params = _plain_params(encoded)
        if params is None or parts.fragment:
            return None
        secret = await secret_of(token)
        if secret is None:
            return None
        port = parts.port
        default = {"http": 80, "https": 443}.get(parts.scheme.lower())
        host = (parts.hostname or "") + (f":{port}" if port not in (None, default) else "")
        base = base_string(
            method,
            f"{parts.scheme.lower()}://{host}{parts.path or '/'}",
            [*params, *((k, v) for k, v in oauth.items() if k != "oauth_signature")],
        )
        expected = hmac_sha1(signing_key(self._consumer_secret, secret), base)
        if not hmac.compare_digest(expected, oauth["oauth_signature"]):
            return None
        return Signed(key, token, oauth["oauth_timestamp"], nonce, secret)

    async def _accepted(self, request: OAuthRequest, body: bytes) -> Credentials:
        """Record the nonce of a request whose signature oauthlib found valid."""
        if not _body_hash_matches(request, body):
            raise V11Error(32)
        signed = Signed(
            request.client_key,
            request.resource_owner_key or "",
            request.timestamp,
            request.nonce,
            getattr(request, "token_secret", None) or "",
            request.redirect_uri,
            request.verifier,
        )
        return await self._accept(signed, body)

    async def _accept(self, signed: "Signed", body: bytes) -> Credentials:
        """Record the nonce of a request whose signature is valid, and say who signed it."""
        key = nonce_key(signed.consumer_key, signed.token, signed.timestamp, signed.nonce)
        # Kept while the request's own timestamp is in the window: then it is refused anyway.
        expires_at = int(signed.timestamp) + TIMESTAMP_WINDOW + 1
        # Two copies of one request can race here; only the first `add` wins.
        if not await self._nonces.add(key, expires_at):
            raise V11Error(32)
        return Credentials(
            signed.consumer_key,
            self._consumer_secret,
            signed.token,
            signed.token_secret,
            callback=signed.callback,
            verifier=signed.verifier,
        )


@dataclass(frozen=True, slots=True)
class Signed:
    """What a valid signature vouches for."""

    consumer_key: str
    token: str
    timestamp: str
    nonce: str
    token_secret: str = field(repr=False)
    callback: str | None = None
    verifier: str | None = field(default=None, repr=False)


# The ordinary header: these OAuth parameters and no others (no realm, callback, verifier or
# body hash), each once; values as the validator's checks allow them.
REQUIRED = frozenset(
    {
        "oauth_consumer_key",
        "oauth_token",
        "oauth_signature_method",
        "oauth_signature",
        "oauth_nonce",
        "oauth_timestamp",
    }
)
ORDINARY = REQUIRED | {"oauth_version"}
SAFE_KEY = re.compile(r"[A-Za-z0-9._~-]{8,64}")
SAFE_TOKEN = re.compile(r"[A-Za-z0-9._~-]{8,128}")
SAFE_NONCE = re.compile(r"[A-Za-z0-9._~-]{8,128}")
HEADER_PARAM = re.compile(r'\s*(oauth_[a-z_]+)="([A-Za-z0-9%._~-]*)"\s*')
# A query or form body of plain pairs: no '+', no bare or non-ASCII bytes, nothing oauthlib and
# the signer could read two ways.
PLAIN = re.compile(r"(?:[A-Za-z0-9_.~*,-]|%[0-9A-Fa-f]{2})+=(?:[A-Za-z0-9_.~*,-]|%[0-9A-Fa-f]{2})*")


def _header_params(text: str) -> dict[str, str] | None:
    found: dict[str, str] = {}
    for part in text.split(","):
        match = HEADER_PARAM.fullmatch(part)
        if match is None or match[1] in found:
            return None
        found[match[1]] = unquote(match[2], errors="strict")
    return found


def _plain_params(encoded: list[str]) -> list[tuple[str, str]] | None:
    pairs = []
    for text in encoded:
        for pair in text.split("&") if text else ():
            if not PLAIN.fullmatch(pair):
                return None
            name, _, value = pair.partition("=")
            try:
                pairs.append((unquote(name, errors="strict"), unquote(value, errors="strict")))
            except UnicodeDecodeError:
                return None
            if pairs[-1][0].startswith("oauth_"):
                return None
    return pairs


def _text(body: bytes) -> str:
    try:
        return body.decode()
    except UnicodeDecodeError:
        raise V11Error(215) from None
