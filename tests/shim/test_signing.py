"""The shim's upstream signer makes exactly the signature oauthlib makes, case by case."""

import httpx2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from oauthlib.oauth1 import Client
from oauthlib.oauth1.rfc5849 import signature
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header

from shim.signing import Credentials, OAuth1, base_string

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
    ours = dict(
        parse_authorization_header(
            OAuth1(credentials).header(request, nonce="fixednonce123", timestamp="1700000000")
        )
    )

    reference = Client(
        CONSUMER[0],
        client_secret=CONSUMER[1],
        resource_owner_key=token or None,
        resource_owner_secret=credentials.token_secret or None,
        callback_uri=callback,
        verifier=verifier,
        nonce="fixednonce123",
        timestamp="1700000000",
    )
    body = request.content.decode() if form else None
    headers = {"Content-Type": request.headers["content-type"]} if form else {}
    _, signed, _ = reference.sign(str(request.url), method, body, headers)
    theirs = dict(parse_authorization_header(signed["Authorization"]))

    assert ours == theirs


@given(
    st.lists(st.tuples(st.text(max_size=12), st.text(max_size=12)), max_size=6),
    st.sampled_from(["https://api.x.com/2/users/1/muting", "http://127.0.0.1:8080/a%20b/~x"]),
)
def test_the_base_string_is_oauthlibs_for_any_parameters(params, uri):
    expected = signature.signature_base_string("POST", uri, signature.normalize_parameters(params))
    assert base_string("POST", uri, params) == expected
