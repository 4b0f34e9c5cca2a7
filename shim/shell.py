"""What every route shares: settings, credentials, the verifier, the upstream client, the
caches, the routing, comparison records and metrics."""

import hashlib
import logging
from urllib.parse import parse_qsl

import httpx2
from starlette.requests import Request
from starlette.responses import Response

from mappings import ROUTES
from mappings.callers import caller_from_token, whoami
from mappings.errors import V11Error
from mappings.types import Caller, Steps, V2Call, V2Reply
from shim import passthrough
from shim.auth import Validator, Verifier
from shim.config import Settings
from shim.credentials import mask
from shim.metrics import Metrics
from shim.nonces import Nonces
from shim.routing import RoutingFile
from shim.shared import state, token_store
from shim.signing import Bearer, Credentials, bearer_token
from shim.upstream import Send, Upstream

log = logging.getLogger("shim")

Caught = Credentials | Bearer


def digest(token: str) -> str:
    """A cache key for a token, so no cache ever holds a token in clear."""
    return hashlib.sha256(token.encode()).hexdigest()


class Shell:
    """What the routes share: settings, the token store, the verifier, v2 and the caches."""

    def __init__(
        self,
        settings: Settings,
        transport: httpx2.AsyncBaseTransport | None,
        nonces: Nonces | None = None,
    ) -> None:
        self.settings = settings
        self.store = token_store(settings)
        if settings.secret_key and self.store.plaintext():
            log.warning(
                "%d token secrets are stored in clear: run `shim tokens encrypt`",
                self.store.plaintext(),
            )
        kept = state(settings)
        self.callers, self.users, self.cursors = kept.callers, kept.users, kept.cursors
        # Between oauth/request_token and oauth/access_token: the request token's secret.
        self.request_tokens = kept.request_tokens
        self.comparisons = kept.comparisons
        validator = Validator(
            settings.consumer_key,
            settings.consumer_secret,
            self.token_secret,
            nonces or kept.nonces,
            self.request_tokens.get,
        )
        self.verifier = Verifier(validator)
        self.upstream = Upstream(settings.upstream_url, settings.upstream_timeout, transport)
        endpoints = tuple(path for _, path in ROUTES)
        self.routing = RoutingFile(settings.config_path, endpoints, switch=kept.all_v1)
        self.metrics = Metrics(self.stats)

    def token_secret(self, token: str) -> str | None:
        """The secret of a known token: SHIM_ACCESS_TOKEN's, else the store's."""
        if token == self.settings.access_token:
            return self.settings.access_token_secret
        return self.store.secret(token)

    def authenticate(self, request: Request, body: bytes) -> Caught:
        """The caller's credentials: a verified OAuth 1.0a signature, or an OAuth 2.0 token."""
        bearer = bearer_token(request.headers.get("authorization", ""))
        if bearer is not None:
            return bearer
        url = self.signed_url(request)
        return self.verifier.verify(url, request.method, _text(body), request.headers)

    def signed_url(self, request: Request) -> str:
        """The URL the client signed, on SHIM_PUBLIC_URL where set, else where it arrived."""
        base = self.settings.public_url or f"{request.url.scheme}://{request.url.netloc}"
        query = request.url.query
        return base.rstrip("/") + request.url.path + (f"?{query}" if query else "")

    def identify(self, token: str) -> Steps[Caller]:
        """The caller: from the token's numeric prefix, else from v2 once per token."""
        key = digest(token)
        caller = caller_from_token(token) or self.callers.get(key)
        if caller is None:
            caller = yield from whoami()
            self.callers.put(key, caller)
        return caller

    def sender(self, credentials: Caught) -> Send:
        """Send v2 calls as this caller; lookups marked cacheable are answered from the cache."""
        auth, key = credentials.auth(), digest(credentials.token)

        async def send(call: V2Call) -> V2Reply:
            if not call.cache:
                return await self.upstream.send(call, auth)
            # Per caller: a lookup's connection_status is the caller's relationship to the user.
            slot = f"{key}:{digest(repr(call))}"
            cached = self.users.get(slot)
            if cached is not None:
                return cached
            reply = await self.upstream.send(call, auth)
            if reply.status == 200 and isinstance(reply.body, dict) and "data" in reply.body:
                self.users.put(slot, reply)
            return reply

        return send

    async def sign_in(self, step: str, request: Request, body: bytes) -> Response:
        """One step of OAuth 1.0a sign-in through the shim (see `SIGN_IN`)."""
        credentials = self.verifier.verify_sign_in(
            step, self.signed_url(request), request.method, _text(body), request.headers
        )
        response, content = await passthrough.exchange(
            self.upstream, request, body, credentials.auth()
        )
        granted = dict(parse_qsl(content.decode(errors="replace")))
        token, secret = granted.get("oauth_token"), granted.get("oauth_token_secret")
        if response.status_code == 200 and token and secret:
            if step == "request_token":
                self.request_tokens.put(token, secret)
            else:
                self.store.add(token, secret)
                log.info("signed in: stored %s", mask(token))
        return response

    def stats(self) -> dict[str, dict[str, int]]:
        return {
            "users": self.users.stats(),
            "callers": self.callers.stats(),
            "cursors": self.cursors.stats(),
        }

    async def aclose(self) -> None:
        await self.upstream.aclose()
        self.store.close()
        self.comparisons.close()


def _text(body: bytes) -> str:
    try:
        return body.decode()
    except UnicodeDecodeError:
        raise V11Error(215) from None
