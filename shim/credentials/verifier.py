"""Verifying the legacy client's OAuth 1.0a signature, with oauthlib, against the URL it signed.

The checks are tuned to what Twitter accepted and real clients send; each refusal maps to the
v1.1 code Twitter gave for it. A valid signature then meets replay protection (`replay`: the
timestamp's window, the nonce used once).
"""

import asyncio
import hmac
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1 import AccessTokenEndpoint, RequestTokenEndpoint, ResourceEndpoint
from oauthlib.oauth1.rfc5849.errors import OAuth1Error

from shim.credentials import direct
from shim.credentials.direct import Signed
from shim.credentials.oauth_params import (
    body_hash_matches,
    check_scheme,
    oauth_pairs,
    parsed,
    text_of,
)
from shim.credentials.replay import TIMESTAMP_WINDOW, check_timestamp, first_use
from shim.credentials.upstream_auth import Credentials
from shim.credentials.validator import Validator
from shim.errors import BadAuthData, NotAuthenticated, Unauthenticated, UnknownToken
from shim.stores.protocols import Nonces

SecretOf = Callable[[str], Awaitable[str | None]]
"""Where a token's secret is looked up: the token store, or the request tokens sign-in issued."""


def refusal(request: OAuthRequest | None, *, needs_token: bool = True) -> Unauthenticated:
    """Why oauthlib refused a request, from what it got to check."""
    if request is None:
        return BadAuthData()
    mandatory = (request.signature, request.client_key, request.nonce, request.timestamp)
    if not all(mandatory) or (needs_token and not request.resource_owner_key):
        return BadAuthData()
    if not request.validator_log.get("resource_owner", True):
        return UnknownToken()
    return NotAuthenticated()


OFF_THE_LOOP = 64 * 1024
"""Bytes of body past which a signature is checked on a worker thread: a MiB of form takes 45
ms of CPU to check directly and 190 ms through oauthlib, which the event loop would otherwise
spend on it alone, known token and wrong signature included (benchmarks/hostile.py)."""

R = TypeVar("R")


async def _off_the_loop(body: bytes, check: Callable[..., R], *args: Any) -> R:
    """`check(*args)`, on a worker thread when the body is large; nearly every request's body is
    small, and a thread would cost it more than the check."""
    if len(body) <= OFF_THE_LOOP:
        return check(*args)
    return await asyncio.to_thread(check, *args)


class Verifier:
    """Checks an incoming request's OAuth 1.0a signature and returns the caller's credentials.

    Every check starts from the request's OAuth parameters alone (`oauth_params`): a request
    whose consumer key or token is unknown is refused on them, with the code oauthlib gives, and
    nothing that grows with its body is read. A known one is checked once, directly when it is
    ordinary (`shim.credentials.direct`), else by oauthlib. With `speedups` off (SHIM_SPEEDUPS),
    oauthlib checks every request and signs the caller's upstream calls."""

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        nonces: Nonces,
        clock: Callable[[], float] = time.time,
        speedups: bool = True,
    ) -> None:
        self._consumer_key = consumer_key
        self._consumer_secret = consumer_secret
        self._nonces = nonces
        self._clock = clock
        self._speedups = speedups

    async def verify(
        self, uri: str, method: str, body: bytes, headers: Mapping[str, str], secret_of: SecretOf
    ) -> Credentials:
        """The caller's credentials, or `Unauthenticated` saying why the request is refused."""
        text = text_of(body)
        check_scheme(headers)
        elsewhere = oauth_pairs(uri, text, headers)
        oauth = None if any(elsewhere) or not self._speedups else self._ordinary(headers)
        if oauth is not None:
            # Every check oauthlib makes before the credentials passes: its codes are these.
            secret = await secret_of(oauth["oauth_token"])
            if secret is None or not self._known(oauth["oauth_consumer_key"]):
                raise UnknownToken if secret is None else NotAuthenticated
            fast = await _off_the_loop(
                body,
                direct.check,
                uri,
                method,
                body,
                headers,
                oauth,
                (self._consumer_secret, secret),
            )
            if isinstance(fast, Signed):
                return await self._accept(fast, body)
            if fast is False:
                raise NotAuthenticated  # what oauthlib says of an ordinary request signed wrong
        screened = await self._screen(uri, method, elsewhere, headers, secret_of)
        validator = self._validator(screened)
        if not self._known(screened.client_key) or screened.token_secret is None:
            # oauthlib's verdict on the OAuth parameters alone: a refusal, and its code.
            _, checked = ResourceEndpoint(validator).validate_protected_resource_request(
                screened.uri, method, screened.body or None, dict(headers)
            )
            raise refusal(checked)
        try:
            valid, checked = await _off_the_loop(
                body,
                ResourceEndpoint(validator).validate_protected_resource_request,
                uri,
                method,
                text or None,
                dict(headers),
            )
        except ValueError:  # a query oauthlib cannot read
            raise BadAuthData from None
        if not valid:
            raise refusal(checked)
        return await self._accepted(checked, body)

    def _ordinary(self, headers: Mapping[str, str]) -> dict[str, str] | None:
        return direct.ordinary(headers, self._clock(), TIMESTAMP_WINDOW)

    def direct(
        self, uri: str, method: str, body: bytes, headers: Mapping[str, str], token_secret: str
    ) -> Signed | bool | None:
        """The direct check alone (`shim.credentials.direct`) of a request whose token has this
        secret."""
        oauth = self._ordinary(headers)
        if oauth is None or not self._known(oauth["oauth_consumer_key"]):
            return None
        return direct.check(
            uri, method, body, headers, oauth, (self._consumer_secret, token_secret)
        )

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
        text = text_of(body)
        check_scheme(headers)
        screened = await self._screen(
            uri, method, oauth_pairs(uri, text, headers), headers, secret_of
        )
        validator = self._validator(screened)
        if step == "request_token":
            # The app alone signs it: a token on it is no sign-in (and has no secret to check).
            if "oauth_token" in screened.oauth_params or not screened.redirect_uri:
                raise BadAuthData  # Twitter's apps sign in with a callback, or "oob"
            validate = RequestTokenEndpoint(validator).validate_request_token_request
        else:
            validate = AccessTokenEndpoint(validator).validate_access_token_request
        request = screened
        if self._known(screened.client_key) and (step == "request_token" or screened.token_secret):
            request = parsed(uri, method, text, headers)
            request.token_secret = screened.token_secret
        try:
            valid, _ = await _off_the_loop(body, validate, request)
        except OAuth1Error:
            valid = False
        if not valid or request is screened:
            raise refusal(request, needs_token=step != "request_token")
        return await self._accepted(request, body)

    async def _screen(
        self,
        uri: str,
        method: str,
        pairs: tuple[str, str],
        headers: Mapping[str, str],
        secret_of: SecretOf,
    ) -> OAuthRequest:
        """The request made of its OAuth parameters alone (the `oauth_pairs` of its query and
        form body, and its headers), its timestamp checked, its token's secret found."""
        query, body = pairs
        request = parsed(urlunsplit(urlsplit(uri)._replace(query=query)), method, body, headers)
        request.body = body
        if request.timestamp is not None:
            check_timestamp(request.timestamp, self._clock)
        token = request.resource_owner_key
        request.token_secret = await secret_of(token) if token else None
        return request

    def _known(self, key: str | None) -> bool:
        """Whether a consumer key is this shim's app's (compared as bytes: a str compared must
        be ASCII, and this one is the client's)."""
        return hmac.compare_digest((key or "").encode(), self._consumer_key.encode())

    def _validator(self, request: OAuthRequest) -> Validator:
        return Validator(
            self._consumer_key,
            self._consumer_secret,
            request.resource_owner_key or "",
            request.token_secret,
        )

    async def _accepted(self, request: OAuthRequest, body: bytes) -> Credentials:
        """Record the nonce of a request whose signature oauthlib found valid."""
        if not body_hash_matches(request, body):
            raise NotAuthenticated
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

    async def _accept(self, signed: Signed, body: bytes) -> Credentials:
        """Record the nonce of a request whose signature is valid, and say who signed it."""
        await first_use(self._nonces, signed)
        return Credentials(
            signed.consumer_key,
            self._consumer_secret,
            signed.token,
            signed.token_secret,
            callback=signed.callback,
            verifier=signed.verifier,
            by_hand=self._speedups,
        )
