"""The direct HMAC-SHA1 check gives oauthlib's verdict wherever it gives one, and the whole
check (the OAuth parameters screened, then the direct check or oauthlib) gives oauthlib's verdict
on every request: on generated requests (any parameters, either method, query or form body,
tampered or not, a token or a consumer key the shim does not know)."""

import asyncio
import time

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oauthlib.oauth1 import Client, ResourceEndpoint
from oauthlib.oauth1.rfc5849.errors import OAuth1Error
from oauthlib.oauth1.rfc5849.signature import base_string_uri

from mappings.params import number
from shim.credentials.direct import base_uri_of
from shim.credentials.replay import TIMESTAMP_WINDOW
from shim.credentials.upstream_auth import FORM, Credentials, OAuth1
from shim.credentials.validator import Validator
from shim.credentials.verifier import Verifier, refusal
from shim.errors import NotAuthenticated, Unauthenticated, answer
from shim.stores.sqlite import SQLiteNonces, connect
from tests.deadlines import cpu_deadline
from tests.fakes import ALICE, CONSUMER_KEY, CONSUMER_SECRET

BASE = "https://shim.example.com/1.1/users/show.json"


async def secret_of(token: str) -> str | None:
    return ALICE.secret if token == ALICE.token else None


def verifier() -> Verifier:
    return Verifier(CONSUMER_KEY, CONSUMER_SECRET, SQLiteNonces(connect(":memory:")))


def oauthlib_says(uri: str, method: str, body: bytes, headers: dict[str, str]) -> object:
    """oauthlib's verdict on the whole request, as the shim once asked for it: the caller's
    token and secret, or the refusal's code."""
    try:
        request = ResourceEndpoint(None)._create_request(
            uri, method, body.decode() or None, headers
        )
    except (OAuth1Error, ValueError):
        return 215
    seconds = number(request.timestamp or "0")
    if request.timestamp is not None and seconds is None:
        return 215
    if request.timestamp is not None and abs(time.time() - (seconds or 0)) > TIMESTAMP_WINDOW:
        return 135
    token = request.resource_owner_key or ""
    validator = Validator(
        CONSUMER_KEY, CONSUMER_SECRET, token, ALICE.secret if token == ALICE.token else None
    )
    valid, checked = ResourceEndpoint(validator).validate_protected_resource_request(
        uri, method, body.decode() or None, headers
    )
    return (checked.resource_owner_key, ALICE.secret) if valid else answer(refusal(checked)).code


def shim_says(uri: str, method: str, body: bytes, headers: dict[str, str]) -> object:
    """The shim's verdict, in the same terms."""
    try:
        found = asyncio.run(verifier().verify(uri, method, body, headers, secret_of))
    except Unauthenticated as error:
        return answer(error).code
    return (found.token, found.token_secret)


def direct_says(uri: str, method: str, body: bytes, headers: dict[str, str]) -> object:
    """The direct check's verdict, in the same terms; None where it leaves it to oauthlib.
    The shim asks it only about a known token (others are refused before), here ALICE's."""
    if f'oauth_token="{ALICE.token}"' not in headers.get("authorization", ""):
        return None
    fast = verifier().direct(uri, method, body, headers, ALICE.secret)
    if fast is None or fast is True:
        return None
    return 32 if fast is False else (fast.token, fast.token_secret)


def signed(
    method: str, params: list[tuple[str, str]], in_body: bool, kind: str = "AUTH_HEADER", **client
):
    from urllib.parse import urlencode

    encoded = urlencode(params)
    uri = BASE + (f"?{encoded}" if encoded and not in_body else "")
    body = encoded if in_body or kind == "BODY" else None
    headers = {"Content-Type": FORM} if body is not None else {}
    signer = Client(
        client.get("key", CONSUMER_KEY),
        client_secret=client.get("consumer_secret", CONSUMER_SECRET),
        resource_owner_key=client.get("token", ALICE.token),
        resource_owner_secret=client.get("secret", ALICE.secret),
        timestamp=client.get("timestamp"),
        signature_type=kind,
    )
    uri, headers, body = signer.sign(uri, method, body, headers)
    return uri, (body or "").encode(), {k.lower(): v for k, v in headers.items()}


TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
PLAIN = st.text("abcXYZ019_-.~,*", min_size=1, max_size=12)


TAMPER = {
    None: {},
    "secret": {"secret": "fake-wrong-secret"},
    "consumer_secret": {"consumer_secret": "fake-wrong-consumer-secret"},
    "key": {"key": "fakeotherconsumerkey"},
    "token": {"token": "1500000000000000009-fakeunknowntoken"},
    "both": {"key": "fakeotherconsumerkey", "token": "fakeunknowntoken00"},
    "timestamp": {"timestamp": str(int(time.time()) - 3600)},
    "param": {},
}
REQUESTS = {
    "params": st.lists(st.tuples(st.one_of(PLAIN, TEXT), st.one_of(PLAIN, TEXT)), max_size=4),
    "method": st.sampled_from(["GET", "POST"]),
    "in_body": st.booleans(),
    "kind": st.sampled_from(["AUTH_HEADER", "QUERY", "BODY"]),
    "tamper": st.sampled_from(list(TAMPER)),
}


def generated(params, method, in_body, kind, tamper):
    kind = "QUERY" if kind == "BODY" and method != "POST" else kind
    in_body = (in_body or kind == "BODY") and method == "POST"
    uri, body, headers = signed(method, params, in_body, kind, **TAMPER[tamper])
    if tamper == "param":
        uri += ("&" if "?" in uri else "?") + "added=1"
    return uri, method, body, headers


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(**REQUESTS)
def test_the_direct_check_gives_oauthlibs_verdict_where_it_gives_one(
    params, method, in_body, kind, tamper
):
    request = generated(params, method, in_body, kind, tamper)

    fast = direct_says(*request)
    if fast is not None:
        assert fast == oauthlib_says(*request)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(**REQUESTS)
def test_the_whole_check_gives_oauthlibs_verdict(params, method, in_body, kind, tamper):
    """Unknown tokens and keys are refused on the OAuth parameters alone, with the code
    oauthlib gives after reading the whole request."""
    request = generated(params, method, in_body, kind, tamper)

    assert shim_says(*request) == oauthlib_says(*request)


@pytest.mark.parametrize(
    "params",
    [
        [],
        [("screen_name", "Twitter")],
        [("user_id", "783214"), ("include_entities", "false")],
        [("user_id", "783214,6253282"), ("cursor", "-1")],
        [("screen_name", "a.b~c_d*e")],
    ],
)
@pytest.mark.parametrize(("method", "in_body"), [("GET", False), ("POST", False), ("POST", True)])
def test_ordinary_requests_take_the_direct_path(params, method, in_body):
    uri, body, headers = signed(method, params, in_body)

    assert direct_says(uri, method, body, headers) == (ALICE.token, ALICE.secret)


def test_an_ordinary_request_signed_wrong_is_refused_directly():
    uri, body, headers = signed("POST", [("status", "x")], True, secret="fake-wrong-secret")

    assert direct_says(uri, "POST", body, headers) == 32


def test_unusual_requests_go_to_oauthlib():
    uri, body, headers = signed("GET", [("q", "a b+c")], False)  # '+' and spaces
    assert direct_says(uri, "GET", body, headers) is None
    uri, body, headers = signed("GET", [("screen_name", "Twitter")], False)
    realm = {"authorization": headers["authorization"].replace("OAuth ", 'OAuth realm="x", ')}
    assert direct_says(uri, "GET", body, realm) is None


def test_a_replay_of_a_directly_checked_request_is_refused():
    checker = verifier()
    uri, body, headers = signed("GET", [("screen_name", "Twitter")], False)
    asyncio.run(checker.verify(uri, "GET", body, headers, secret_of))

    with pytest.raises(NotAuthenticated):
        asyncio.run(checker.verify(uri, "GET", body, headers, secret_of))


@settings(max_examples=300, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https", "HTTP"]),
    host=st.sampled_from(["testserver", "Shim.Example.com", "127.0.0.1", "[::1]", "[0:0::1]", "h"]),
    port=st.one_of(st.none(), st.sampled_from([0, 80, 443, 8080, 65535, 65536])),
    path=st.text("ab/;.%20 ", max_size=12),
)
def test_the_base_uri_is_oauthlibs(scheme, host, port, path):
    uri = f"{scheme}://{host}" + (f":{port}" if port is not None else "") + "/" + path
    try:
        expected = base_string_uri(uri)
    except ValueError:
        expected = None

    assert base_uri_of(uri) == expected


# A query or form as a client sends it: normalised already (checked as it came) or not (decoded
# and encoded again): `+`, lower-case hex, an encoded letter or `~`, bytes past ASCII, raw `,`.
SENT = st.sampled_from(
    [
        *("a", "Z9", "-._~", "%2C", "%20", "%25", "%3A", "%7B", "%41", "%7E", "%2c", "+"),
        *("%C3%A9", ",", "*", "%E2%98", "%0A"),
    ]
)
SENT_PAIRS = st.lists(
    st.tuples(st.lists(SENT, min_size=1, max_size=6), st.lists(SENT, max_size=6)), max_size=4
).map(lambda pairs: "&".join(f"{''.join(name)}={''.join(value)}" for name, value in pairs))
RESPELL = {"%2C": "%2c", "%3A": "%3a", "a": "%61", "~": "%7E"}


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    text=SENT_PAIRS,
    in_body=st.booleans(),
    tamper=st.sampled_from([None, "respelled", "changed", "secret"]),
)
def test_a_query_or_form_checked_as_it_came_gets_oauthlibs_verdict(text, in_body, tamper):
    """Where the query or form is normalised already it is checked as it came, not decoded and
    encoded again: a request spelled another way with the same meaning is still accepted, one
    changed is refused, as oauthlib says, by the direct check and the whole check alike."""
    secret = "fake-wrong-secret" if tamper == "secret" else ALICE.secret
    signer = Client(
        CONSUMER_KEY,
        client_secret=CONSUMER_SECRET,
        resource_owner_key=ALICE.token,
        resource_owner_secret=secret,
    )
    uri = BASE + (f"?{text}" if text and not in_body else "")
    body = text if in_body else None
    uri, headers, body = signer.sign(uri, "POST", body, {"Content-Type": FORM} if in_body else {})
    sent = (uri.partition("?")[2] if not in_body else body) or ""
    if tamper == "respelled":
        spelled = next((old for old in RESPELL if old in sent), None)
        sent = sent.replace(spelled, RESPELL[spelled], 1) if spelled else sent
    elif tamper == "changed":
        sent += "&z=1" if sent else "z=1"
    uri = BASE + (f"?{sent}" if sent and not in_body else "")
    request = (
        uri,
        "POST",
        sent.encode() if in_body else b"",
        {k.lower(): v for k, v in headers.items()},
    )

    expected = oauthlib_says(*request)
    assert shim_says(*request) == expected
    fast = direct_says(*request)
    if fast is not None:
        assert fast == expected


def test_a_normalised_query_is_checked_directly_and_a_respelling_still_passes():
    signer = Client(
        CONSUMER_KEY,
        client_secret=CONSUMER_SECRET,
        resource_owner_key=ALICE.token,
        resource_owner_secret=ALICE.secret,
    )
    uri, headers, _ = signer.sign(BASE + "?user.fields=id%2Cname&screen_name=a_b", "GET")
    headers = {k.lower(): v for k, v in headers.items()}

    assert direct_says(uri, "GET", b"", headers) == (ALICE.token, ALICE.secret)
    respelled = uri.replace("%2C", "%2c")
    assert direct_says(respelled, "GET", b"", headers) == (ALICE.token, ALICE.secret)
    assert direct_says(uri.replace("%2C", "%2D"), "GET", b"", headers) == 32


@pytest.mark.parametrize(
    "query", ["a" * 8000, "a=b&" * 2000 + "a", "%2C" * 2000 + "&", "a=" + "%2C" * 2000 + "%2"]
)
def test_a_query_or_form_almost_normalised_is_read_in_linear_time(query):
    """The look for a normalised query or form gives up in time linear in it: a name of 22
    letters and no `=` once took half a second, each letter more twice as long."""
    uri = f"{BASE}?{query}"
    _, _, headers = signed("GET", [], False)
    form = {**headers, "content-type": FORM}
    request = httpx2.Request("GET", uri)
    credentials = Credentials(CONSUMER_KEY, CONSUMER_SECRET, ALICE.token, ALICE.secret)
    with cpu_deadline(1.0):
        direct_says(uri, "GET", b"", headers)
        direct_says(BASE, "POST", query.encode() * 32, form)
        OAuth1(credentials).header(request)
