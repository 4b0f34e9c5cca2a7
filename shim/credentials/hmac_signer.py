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
    body = parse_qsl(request.content.decode(), keep_blank_values=True) if form else []
    url = request.url
    port = "" if url.port in (None, 80 if url.scheme == "http" else 443) else f":{url.port}"
    host = f"[{url.host}]" if ":" in url.host else url.host  # an IPv6 address, as in the URL
    path = url.raw_path.split(b"?", 1)[0].decode("ascii")
    base = base_string(
        request.method,
        f"{url.scheme.lower()}://{host.lower()}{port}{path}",
        (*url.params.multi_items(), *body, *oauth.items()),
    )
    signed = {**oauth, "oauth_signature": hmac_sha1(key, base)}
    return "OAuth " + ", ".join(f'{_pct(k)}="{_pct(v)}"' for k, v in signed.items())


def base_string(method: str, base_uri: str, params: Iterable[tuple[str, str]]) -> str:
    """RFC 5849 3.4.1: the text an HMAC-SHA1 signature is made of; `base_uri` is already
    normalised (scheme and host in lower case, no default port, the path as sent)."""
    pairs = sorted((_pct(k), _pct(v)) for k, v in params)
    # Encoded once, they hold only unreserved characters and `%XX`; joined, `=` and `&` too:
    # encoding them again changes just those three (`%` first: the others bring new ones).
    joined = "&".join(f"{k}={v}" for k, v in pairs)
    encoded = joined.replace("%", "%25").replace("=", "%3D").replace("&", "%26")
    return "&".join((method.upper(), _pct(base_uri), encoded))


def signing_key(consumer_secret: str, token_secret: str) -> bytes:
    return f"{_pct(consumer_secret)}&{_pct(token_secret)}".encode()


def hmac_sha1(key: bytes, base: str) -> str:
    return base64.b64encode(hmac.new(key, base.encode(), hashlib.sha1).digest()).decode()


_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]*")


def _pct(value: str) -> str:
    """RFC 5849 3.6: percent-encode all but the unreserved characters (most values, ids and
    nonces, have none to encode, and quote() goes through a string a character at a time)."""
    return value if _UNRESERVED.fullmatch(value) else quote(value, safe="~")
