"""A request's OAuth parameters, found without reading the rest of it.

Whether a request's consumer key and token are known decides whether it is worth checking at
all, so finding them must cost nothing that grows with the body (issue 20, finding 3). The
Authorization header and the query are bounded by the head limit; the form body is not, so it
is scanned once with a regular expression for the pairs whose name decodes to `oauth_…`, as
oauthlib (RFC 5849 §3.5) reads a form, and only those are kept.
"""

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

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
