"""The ordinary request's HMAC-SHA1 signature, checked by hand: every OAuth value in the header,
a plain query and form body, a known key and token. oauthlib takes half a millisecond a request,
most of it percent-encoding; this check gives oauthlib's own verdict on the requests it decides,
and leaves every other request to oauthlib (tests/shim/test_fast_verify.py)."""

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from oauthlib.oauth1.rfc5849.signature import base_string_uri

from mappings.params import number
from shim.credentials.hmac_signer import base_string, hmac_sha1, normalised, signing_key
from shim.credentials.upstream_auth import FORM


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
PLAIN_HOST = re.compile(r"[a-z0-9.-]+")  # a name or IPv4 address that oauthlib leaves as it is
HEADER_PARAM = re.compile(r'\s*(oauth_[a-z_]+)="([A-Za-z0-9%._~-]*)"\s*')
# A query or form body of plain pairs: no '+', no bare or non-ASCII bytes, nothing oauthlib and
# the signer could read two ways. The characters are checked first, in one pass over the text.
PLAIN_CHARS = re.compile(r"[A-Za-z0-9_.~*,%=&-]*")
PLAIN = re.compile(r"(?:[A-Za-z0-9_.~*,-]|%[0-9A-Fa-f]{2})+=(?:[A-Za-z0-9_.~*,-]|%[0-9A-Fa-f]{2})*")


def ordinary(headers: Mapping[str, str], now: float, allowed: float) -> dict[str, str] | None:
    """The OAuth parameters of an ordinary header (all of them, HMAC-SHA1, values as the
    validator's checks allow, the timestamp within `allowed` seconds of `now`), else None.
    oauthlib passes every check of such a header up to the key, the token and the signature."""
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
    return oauth if abs(now - seconds) <= allowed else None


def check(
    uri: str,
    method: str,
    body: bytes,
    headers: Mapping[str, str],
    oauth: dict[str, str],
    secrets: tuple[str, str],
) -> Signed | bool | None:
    """The signed values of a request with an `ordinary` header `oauth`, from the app whose
    consumer secret and the token whose secret are `secrets`, when its signature is valid;
    False when it is not (oauthlib says 32 then); None when the query or body is not plain,
    which oauthlib decides."""
    form = FORM in headers.get("content-type", "")
    sent = [urlsplit(uri).query, body.decode("latin-1") if form else ""]
    # Normalised already (nearly every request), the pairs are signed as they came; else they
    # are decoded here and encoded again by `base_string`.
    normal = normalised(sent)
    params = _plain_params(sent) if normal is None else []
    if params is None or any(name.startswith("oauth_") for name, _ in normal or ()):
        return None
    base_uri = base_uri_of(uri)
    if base_uri is None:
        return None
    # An ordinary header's values are unreserved characters (`ordinary`): encoded already.
    own = [(k, v) for k, v in oauth.items() if k != "oauth_signature"]
    base = base_string(method, base_uri, params, [*(normal or ()), *own])
    expected = hmac_sha1(signing_key(*secrets), base)
    if not hmac.compare_digest(expected.encode(), oauth["oauth_signature"].encode()):
        return False
    token, timestamp = oauth["oauth_token"], oauth["oauth_timestamp"]
    return Signed(oauth["oauth_consumer_key"], token, timestamp, oauth["oauth_nonce"], secrets[1])


def base_uri_of(uri: str) -> str | None:
    """RFC 5849 §3.4.1.2's base string URI exactly as oauthlib's `base_string_uri` makes it
    (None where that fails): by hand for a plain name and path, as oauthlib's would only tidy
    an address or `;params` (and takes as long as the rest of the check)."""
    parts = urlsplit(uri)
    try:
        port = parts.port
        if not PLAIN_HOST.fullmatch(parts.hostname or "") or ";" in parts.path:
            return str(base_string_uri(uri))
    except ValueError:
        return None
    if port == 0:  # oauthlib refuses it, as out of range
        return None
    scheme = parts.scheme.lower()
    default = {"http": 80, "https": 443}.get(scheme)
    netloc = f"{parts.hostname}:{port}" if port and port != default else parts.hostname
    return f"{scheme}://{netloc}{parts.path or '/'}".replace(" ", "%20")


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
