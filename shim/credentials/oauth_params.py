"""A request's OAuth parameters, found without reading the rest of it.

Whether a request's consumer key and token are known decides whether it is worth checking at
all, so finding them must cost nothing that grows with the body (issue 20, finding 3). The
Authorization header and the query are bounded by the head limit; the form body is not, so it
is scanned once with a regular expression for the pairs whose name decodes to `oauth_…`, as
oauthlib (RFC 5849 §3.5) reads a form, and only those are kept. Here too: the request as text,
its Authorization scheme, oauthlib's reading of it, and its `oauth_body_hash` checked.
"""

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1 import ResourceEndpoint
from oauthlib.oauth1.rfc5849.errors import OAuth1Error

from shim.credentials.upstream_auth import FORM
from shim.errors import BadAuthData

# A pair whose name, percent-decoded, starts `oauth_`: each of its six characters as it is or
# percent-encoded (`+` decodes to a space, so it cannot be one of them).
OAUTH_PAIR = re.compile(
    r"(?<![^&])(?:o|%6[Ff])(?:a|%61)(?:u|%75)(?:t|%74)(?:h|%68)(?:_|%5[Ff])[^&]*"
)
MOST = 32
"""OAuth parameters one part of a request may carry; a real client sends at most ten."""


def _oauth_pairs(encoded: str) -> str:
    pairs: list[str] = []
    for found in OAUTH_PAIR.finditer(encoded):
        if len(pairs) == MOST:
            raise BadAuthData
        pairs.append(found[0])
    return "&".join(pairs)


def oauth_pairs(uri: str, body: str, headers: Mapping[str, str]) -> tuple[str, str]:
    """The OAuth pairs of the URL's query and of the form body, each as they came: with the
    headers, oauthlib finds in them the OAuth parameters it would find in the whole request."""
    form = FORM in headers.get("content-type", "")
    return _oauth_pairs(urlsplit(uri).query), _oauth_pairs(body) if form else ""


def text_of(body: bytes) -> str:
    try:
        return body.decode()
    except UnicodeDecodeError:
        raise BadAuthData from None


def check_scheme(headers: Mapping[str, str]) -> None:
    """An Authorization header, where there is one, is OAuth's; without one the parameters may
    be in the form body or the query (RFC 5849 §3.5), and oauthlib finds them there, refusing
    a request that has them in more than one place."""
    header = headers.get("authorization")
    if header is not None and not header.lower().startswith("oauth "):
        raise BadAuthData


def parsed(uri: str, method: str, text: str, headers: Mapping[str, str]) -> OAuthRequest:
    """oauthlib's reading of a request: its OAuth parameters and all the others."""
    try:
        return ResourceEndpoint(None)._create_request(uri, method, text or None, dict(headers))
    except (OAuth1Error, ValueError):  # oauthlib's parsers raise ValueError too
        raise BadAuthData from None


def body_hash_matches(request: OAuthRequest, body: bytes) -> bool:
    """oauth_body_hash, where the client sent one, is the SHA-1 of the body it signed (the
    OAuth Request Body Hash extension tweepy and requests-oauthlib follow for JSON bodies)."""
    sent = request.oauth_params.get("oauth_body_hash")
    if sent is None:
        return True
    digest = base64.b64encode(hashlib.sha1(body).digest())
    return hmac.compare_digest(sent.encode(), digest)  # bytes: the client's may not be ASCII
