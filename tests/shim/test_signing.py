"""The shim's upstream signer, by hand or with SHIM_SPEEDUPS off, makes exactly the signature
oauthlib's `Client` makes for the same request, case by case and on generated requests."""

from dataclasses import replace
from urllib.parse import urlencode

import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oauthlib.oauth1.rfc5849 import signature
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header

from shim.credentials.hmac_signer import base_string
from shim.credentials.upstream_auth import FORM, Credentials, OAuth1, oauthlib_client

CONSUMER = ("fakeconsumerkey0000000000", "fake consumer/secret+&=")


@pytest.mark.parametrize(
    ("method", "url", "form", "token", "callback", "verifier"),
    [
        ("POST", "https://api.x.com/2/users/1/muting", None, "1-tok", None, None),
        (
            "GET",
            "https://API.x.com:443/2/users/by/username/Twitter?user.fields=id%2Cname",
            None,
            "1-tok",
            None,
            None,
        ),
        (
            "GET",
            "http://127.0.0.1:8080/1.1/search/tweets.json?q=%23py%20shim&q=a+b&x=%7E",
            None,
            "1-tok",
            None,
            None,
        ),
        (
            "POST",
            "https://api.x.com/1.1/statuses/update.json",
            {"status": "héllo & ☃ 100%"},
            "1-tok",
            None,
            None,
        ),
        (
            "POST",
            "https://api.x.com/oauth/request_token?x_auth_access_type=write",
            None,
            "",
            "https://app.example/cb?x=1",
            None,
        ),
        ("POST", "https://api.x.com/oauth/access_token", None, "reqtok", None, "1234567"),
        ("DELETE", "https://api.x.com/2/users/1/muting/2%2F3", None, "1-tok", None, None),
    ],
)
def test_same_signature_as_oauthlib(method, url, form, token, callback, verifier):
    credentials = Credentials(
        *CONSUMER, token, "fake token secret" if token else "", callback=callback, verifier=verifier
    )
    request = httpx2.Request(method, url, data=form) if form else httpx2.Request(method, url)

    assert signed_by_hand(credentials, request) == oauthlibs(credentials, request)


def signed_by_hand(credentials: Credentials, request: httpx2.Request) -> dict[str, str]:
    """The OAuth parameters of the hand-written signer's header."""
    header = OAuth1(credentials).header(request, nonce="fixednonce123", timestamp="1700000000")
    return dict(parse_authorization_header(header))


def oauthlibs(credentials: Credentials, request: httpx2.Request) -> dict[str, str]:
    """The OAuth parameters of the header oauthlib's `Client` signs for the same request, as it
    came (the hand-written signer's errors in reading the credentials would show against it)."""
    reference = oauthlib_client(credentials, "fixednonce123", "1700000000")
    form = request.headers.get("content-type") == FORM
    body = request.content.decode() if form else None
    headers = {"Content-Type": FORM} if form else {}
    _, signed, _ = reference.sign(str(request.url), request.method, body, headers)
    return dict(parse_authorization_header(signed["Authorization"]))


TEXT = st.text(st.characters(codec="utf-8"), max_size=8)
PAIRS = st.lists(st.tuples(TEXT, TEXT), max_size=4)


@settings(max_examples=300, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    origin=st.sampled_from(
        ["https://api.x.com", "https://API.X.com:443", "http://127.0.0.1:8080", "http://[::1]:80"]
    ),
    # No `;`: oauthlib's base string URI drops a path's `;params` (it reads the URL with
    # urlparse), where RFC 3986 keeps them in the path, as the signer does; v2 paths have none.
    path=st.text("ab/~é %,+", max_size=12),
    query=PAIRS,
    body=st.one_of(st.none(), st.just("json"), PAIRS),
    token=st.sampled_from(["", "1-tok"]),
    callback=st.sampled_from([None, "oob", "https://app.example/cb?x=1&y=é"]),
    verifier=st.sampled_from([None, "1234567"]),
    secret=TEXT,
)
def test_the_signature_is_oauthlibs_for_any_request(
    method, origin, path, query, body, token, callback, verifier, secret
):
    """The hand-written signer and SHIM_SPEEDUPS=off's oauthlib signer both sign as oauthlib's
    `Client` does: any method, origin, path, query, form or JSON body, unicode, extras."""
    credentials = Credentials(
        CONSUMER[0], secret, token, secret if token else "", callback=callback, verifier=verifier
    )
    if body == "json":
        request = httpx2.Request(method, origin + "/" + path, params=query, json={"é": "x"})
    elif body is not None and method != "GET":  # oauthlib refuses a GET's body
        form = {"content-type": FORM}
        request = httpx2.Request(
            method, origin + "/" + path, params=query, headers=form, content=urlencode(body)
        )
    else:
        request = httpx2.Request(method, origin + "/" + path, params=query)
    expected = oauthlibs(credentials, request)

    assert signed_by_hand(credentials, request) == expected
    assert signed_by_hand(replace(credentials, by_hand=False), request) == expected


@given(
    st.lists(st.tuples(st.text(max_size=12), st.text(max_size=12)), max_size=6),
    st.sampled_from(["https://api.x.com/2/users/1/muting", "http://127.0.0.1:8080/a%20b/~x"]),
)
def test_the_base_string_is_oauthlibs_for_any_parameters(params, uri):
    expected = signature.signature_base_string("POST", uri, signature.normalize_parameters(params))
    assert base_string("POST", uri, params) == expected


# Pieces of a query or form as sent: normalised already (signed as they are), or one the
# signer must decode and encode again (`+`, lower-case hex, an encoded letter or `~`, bytes past
# ASCII, a raw `,` or `*`, a second `=`, an empty pair).
SENT = st.sampled_from(
    [
        *("a", "Z9", "-._~", "%2C", "%20", "%25", "%3A", "%7B", "%41", "%7E", "%2c", "+"),
        *("%C3%A9", ",", "*", "=", "&", "&&", "%E2%98", "%0A", "%7F"),
    ]
)
SENT_TEXT = st.lists(SENT, max_size=10).map("".join)


@settings(max_examples=500, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "DELETE"]),
    query=st.lists(st.tuples(SENT_TEXT, SENT_TEXT), max_size=4),
    form=st.one_of(st.none(), SENT_TEXT),
)
def test_a_query_and_form_signed_as_sent_are_oauthlibs(method, query, form):
    """Where the query and form are normalised already the signer signs them as they are, not
    decoded and encoded again; the signature is oauthlib's either way, tampered spellings too."""
    credentials = Credentials(*CONSUMER, "1-tok", "fake token secret")
    text = "&".join(f"{name}={value}" for name, value in query)
    url = "https://api.x.com/2/users/1/muting" + (f"?{text}" if text else "")
    if form is not None and method == "POST":
        request = httpx2.Request(method, url, headers={"content-type": FORM}, content=form)
    else:
        request = httpx2.Request(method, url)

    assert signed_by_hand(credentials, request) == oauthlibs(credentials, request)
