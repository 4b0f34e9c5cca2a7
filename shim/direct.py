"""The ordinary request's HMAC-SHA1 signature, checked by hand: every OAuth value in the header,
a plain query and form body, a known token. oauthlib takes half a millisecond a request, most of
it percent-encoding; this check gives oauthlib's own verdict on the requests it decides, and
leaves every other request to oauthlib (tests/shim/test_fast_verify.py)."""

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from oauthlib.oauth1.rfc5849.signature import base_string_uri

from mappings.params import number
from shim.signing import FORM, base_string, hmac_sha1, signing_key


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
# the signer could read two ways. The characters are checked first, in one pass over the text.
PLAIN_CHARS = re.compile(r"[A-Za-z0-9_.~*,%=&-]*")
PLAIN = re.compile(r"(?:[A-Za-z0-9_.~*,-]|%[0-9A-Fa-f]{2})+=(?:[A-Za-z0-9_.~*,-]|%[0-9A-Fa-f]{2})*")


def check(
    uri: str,
    method: str,
    body: bytes,
    headers: Mapping[str, str],
    credentials: tuple[str, str, str],
    window: tuple[float, float],
) -> Signed | bool | None:
    """The request's signed values when it is ordinary and its signature valid; False when it
    is ordinary and its signature is not (oauthlib says 32 then); None for anything else, which
    oauthlib decides. `credentials` are the consumer key and secret and the token's secret;
    `window`, the clock's time and how far from it a timestamp may be."""
    header = headers.get("authorization", "")
    if header[:6].lower() != "oauth " or headers.get("content-encoding"):
        return None
    oauth = _header_params(header[6:])
    if oauth is None or set(oauth) - ORDINARY or not set(oauth) >= REQUIRED:
        return None
    if oauth["oauth_signature_method"] != "HMAC-SHA1" or oauth.get("oauth_version", "1.0") != "1.0":
        return None
    key, token, nonce = oauth["oauth_consumer_key"], oauth["oauth_token"], oauth["oauth_nonce"]
    if not (
        SAFE_KEY.fullmatch(key) and SAFE_TOKEN.fullmatch(token) and SAFE_NONCE.fullmatch(nonce)
    ):
        return None
    seconds = number(oauth["oauth_timestamp"])
    if len(oauth["oauth_timestamp"]) != 10 or seconds is None:  # oauthlib's size check
        return None
    now, allowed = window
    consumer_key, consumer_secret, secret = credentials
    if abs(now - seconds) > allowed or not hmac.compare_digest(key, consumer_key):
        return None
    form = FORM in headers.get("content-type", "")
    params = _plain_params([urlsplit(uri).query, body.decode("latin-1") if form else ""])
    if params is None:
        return None
    try:
        base_uri = base_string_uri(uri)  # oauthlib's own, so both sign the same URL
    except ValueError:
        return None
    base = base_string(
        method, base_uri, [*params, *((k, v) for k, v in oauth.items() if k != "oauth_signature")]
    )
    expected = hmac_sha1(signing_key(consumer_secret, secret), base)
    if not hmac.compare_digest(expected.encode(), oauth["oauth_signature"].encode()):
        return False
    return Signed(key, token, oauth["oauth_timestamp"], nonce, secret)


def _header_params(text: str) -> dict[str, str] | None:
    found: dict[str, str] = {}
    for part in text.split(","):
        match = HEADER_PARAM.fullmatch(part)
        if match is None or match[1] in found:
            return None
        try:
            found[match[1]] = unquote(match[2], errors="strict")
        except UnicodeDecodeError:
            return None
    return found


def _plain_params(encoded: list[str]) -> list[tuple[str, str]] | None:
    """The pairs of a plain query and body, or None (oauthlib then reads them)."""
    if not all(PLAIN_CHARS.fullmatch(text) for text in encoded):
        return None
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
