"""oauthlib's request validator, tuned to what Twitter and its real clients send."""

import hmac
import secrets
import string
from typing import Any

from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1 import RequestValidator
from oauthlib.oauth1.rfc5849 import SIGNATURE_HMAC_SHA1


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
        # What an unknown key or token is checked against, so that refusing it takes as long as
        # refusing a bad signature: random, so that no signature can match it, should a check
        # ever leave a key or token unvalidated (a fixed "dummy" once let request_token through).
        self._placeholder = secrets.token_urlsafe(24)

    def _secret_of(self, token: str) -> str | None:
        return self._secret if token == self._token else None

    def validate_client_key(self, client_key: str, request: OAuthRequest) -> bool:
        return hmac.compare_digest(client_key, self._consumer_key)

    def get_client_secret(self, client_key: str, request: OAuthRequest) -> str:
        known = hmac.compare_digest(client_key, self._consumer_key)
        return self.consumer_secret if known else self._placeholder

    def validate_access_token(self, client_key: str, token: str, request: OAuthRequest) -> bool:
        request.token_secret = self._secret_of(token)
        return request.token_secret is not None

    def get_access_token_secret(self, client_key: str, token: str, request: OAuthRequest) -> str:
        return getattr(request, "token_secret", None) or self._placeholder

    def validate_request_token(self, client_key: str, token: str, request: OAuthRequest) -> bool:
        request.token_secret = self._secret_of(token)
        return request.token_secret is not None

    def get_request_token_secret(self, client_key: str, token: str, request: OAuthRequest) -> str:
        return getattr(request, "token_secret", None) or self._placeholder

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
