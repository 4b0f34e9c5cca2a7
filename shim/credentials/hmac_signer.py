"""The hand-written HMAC-SHA1 signer (RFC 5849 §3.4), a speed-up standing in for oauthlib's
`Client`: oauthlib's generic client took half a millisecond a call in the benchmark, most of it
percent-encoding, and the shim signs two calls for most requests. `shim.credentials.direct`
checks incoming signatures with the same base string.

SHIM_SPEEDUPS=off signs with oauthlib instead (`shim.credentials.upstream_auth`);
tests/shim/test_signing.py checks that both sign every request alike.
"""

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, quote

import httpx2


def authorization(request: httpx2.Request, form: bool, oauth: Mapping[str, str], key: bytes) -> str:
    """The Authorization header of the request (whose body is signed when it is a `form`), its
    `oauth` parameters signed with `key`."""
    url = request.url
    raw_path, _, raw_query = url.raw_path.partition(b"?")
    # A query and form as httpx2 encodes the shim's calls are normalised already: signed as
    # they are, not decoded and encoded again.
    sent = [raw_query.decode("ascii"), request.content.decode("latin-1") if form else ""]
    normal = normalised(sent)
    if normal is None:
        body = parse_qsl(request.content.decode(), keep_blank_values=True) if form else []
        params: Iterable[tuple[str, str]] = (*url.params.multi_items(), *body)
        normal = []
    else:
        params = ()
    own = [(_pct(k), _pct(v)) for k, v in oauth.items()]
    port = "" if url.port in (None, 80 if url.scheme == "http" else 443) else f":{url.port}"
    host = f"[{url.host}]" if ":" in url.host else url.host  # an IPv6 address, as in the URL
    base = base_string(
        request.method,
        f"{url.scheme.lower()}://{host.lower()}{port}{raw_path.decode('ascii')}",
        params,
        [*normal, *own],
    )
    signature = _pct(hmac_sha1(key, base))
    return "OAuth " + ", ".join([*(f'{k}="{v}"' for k, v in own), f'oauth_signature="{signature}"'])


def base_string(
    method: str,
    base_uri: str,
    params: Iterable[tuple[str, str]],
    encoded: Iterable[tuple[str, str]] = (),
) -> str:
    """RFC 5849 3.4.1: the text an HMAC-SHA1 signature is made of; `base_uri` is already
    normalised (scheme and host in lower case, no default port, the path as sent); `encoded`
    pairs are percent-encoded already, `params` not."""
    pairs = sorted([*((_pct(k), _pct(v)) for k, v in params), *encoded])
    # Encoded once, they hold only unreserved characters and `%XX`; joined, `=` and `&` too:
    # encoding them again changes just those three (`%` first: the others bring new ones).
    joined = "&".join(f"{k}={v}" for k, v in pairs)
    encoded_text = joined.replace("%", "%25").replace("=", "%3D").replace("&", "%26")
    return "&".join((method.upper(), _pct_uri(base_uri), encoded_text))


# A name or value RFC 5849 3.6 would leave as it is once decoded and encoded again: unreserved
# characters and `%XX` (upper case) of a printable ASCII character that is not unreserved.
# Anything else (`+`, lower-case hex, an encoded letter, bytes past ASCII) is decoded and encoded.
# One character or escape a step, each run taken without giving any back (possessive): the
# look is linear in the text, as nested repeats (`(?:(?:…)*)+`) were not.
_UNIT = r"(?:[A-Za-z0-9._~-]|%(?:2[0-9A-CF]|3[A-F]|40|5[B-E]|60|7[B-D]))"
_PAIR = rf"{_UNIT}++={_UNIT}*+"
_NORMAL_PAIRS = re.compile(rf"(?:{_PAIR}(?:&{_PAIR})*+)?+")


def normalised(texts: Iterable[str]) -> list[tuple[str, str]] | None:
    """The pairs of query and form texts whose every name and value is normalised already
    (`name=value` joined by `&`, no name empty), as they are; None when any is not."""
    pairs: list[tuple[str, str]] = []
    for text in texts:
        if not _NORMAL_PAIRS.fullmatch(text):
            return None
        if text:
            pairs += (tuple(pair.split("=")) for pair in text.split("&"))  # type: ignore[misc]
    return pairs


def signing_key(consumer_secret: str, token_secret: str) -> bytes:
    return f"{_pct(consumer_secret)}&{_pct(token_secret)}".encode()


def hmac_sha1(key: bytes, base: str) -> str:
    return base64.b64encode(hmac.new(key, base.encode(), hashlib.sha1).digest()).decode()


_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]*")
_PLAIN_URI = re.compile(r"[A-Za-z0-9._~:/-]*")


def _pct(value: str) -> str:
    """RFC 5849 3.6: percent-encode all but the unreserved characters (most values, ids and
    nonces, have none to encode, and quote() goes through a string a character at a time)."""
    return value if _UNRESERVED.fullmatch(value) else quote(value, safe="~")


def _pct_uri(uri: str) -> str:
    """`_pct` of a base string URI: most hold only unreserved characters, `:` and `/`."""
    if _PLAIN_URI.fullmatch(uri):
        return uri.replace(":", "%3A").replace("/", "%2F")
    return quote(uri, safe="~")
