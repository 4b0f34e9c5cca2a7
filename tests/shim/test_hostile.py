"""Hostile input: a corpus of known-bad requests and generated ones. Every answer is a v1.1
error with a 4xx status, and nothing reaches the upstream (but for bearer tokens, which only the
upstream can check)."""

import base64
import json
import time
from urllib.parse import quote

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mappings import ENDPOINTS
from mappings.params import SCREEN_NAME, USER_ID
from tests.conftest import MakeClient
from tests.fakes import FakeV2, concrete, sign

BASE = "http://testserver"
CREATE = f"{BASE}/1.1/mutes/users/create.json"
PATHS = [
    *(concrete(endpoint.path) for endpoint in ENDPOINTS),
    "/1.1/statuses/update.json",
    "/2/users/me",
    "/oauth/access_token",
    "/_shim/",
    "/metrics",
    "/",
    "/%00",
    "/1.1/../x",
]
FORM = "application/x-www-form-urlencoded"


def v11_error(response) -> int:
    """The v1.1 error code of an answer, after checking its shape and status."""
    assert 400 <= response.status_code < 500, response.text
    body = json.loads(response.content)
    (error,) = body["errors"]
    assert isinstance(error["code"], int)
    assert isinstance(error["message"], str)
    return int(error["code"])


def signed(method: str, url: str, **options) -> dict[str, str]:
    return sign(method, url, **options)


CORPUS = [
    ("POST", CREATE, {"Authorization": "OAuth"}, b""),
    ("POST", CREATE, {"Authorization": 'OAuth oauth_signature="'}, b""),
    ("POST", CREATE, {"Authorization": "OAuth ,,,,,=,=="}, b""),
    (
        "POST",
        CREATE,
        {"Authorization": 'OAuth oauth_consumer_key="a", oauth_consumer_key="b"'},
        b"",
    ),
    ("POST", CREATE, {"Authorization": 'OAuth oauth_nonce="\\u0000", oauth_token="%zz"'}, b""),
    ("POST", CREATE, {"Authorization": "OAuth " + "a" * 10_000}, b""),
    ("POST", CREATE, {"Authorization": "Digest username=x"}, b""),
    ("POST", CREATE, {"Authorization": "Bearer"}, b""),
    ("POST", CREATE, {"Content-Type": FORM}, b"\xff\xfe\xfd"),
    ("POST", CREATE + "?user_id=%ff%fe", {}, b""),
    ("POST", CREATE, {"Content-Type": FORM}, b"user_id=" + b"9" * 2_000_000),
    ("POST", CREATE, {"Content-Type": "application/json"}, b'{"user_id": "783214"'),
    ("PUT", CREATE, {}, b""),
    ("DELETE", CREATE, {}, b""),
    ("GET", CREATE, {}, b""),
    ("PATCH", f"{BASE}/1.1/mutes/users/ids.json", {}, b""),
    ("POST", f"{BASE}/%2e%2e/%2e%2e/etc/passwd", {}, b""),
    ("GET", f"{BASE}/_shim/", {"Authorization": "Basic !!!notbase64"}, b""),
]


@pytest.mark.parametrize(("method", "url", "headers", "body"), CORPUS)
def test_the_corpus(make_client: MakeClient, fake_v2: FakeV2, method, url, headers, body):
    client = make_client()
    response = client.request(method, url, headers=headers, content=body)

    assert response.status_code < 500
    if not url.endswith("/_shim/"):  # the operator's page asks a browser for a password instead
        v11_error(response)
    assert fake_v2.calls == []


SIGNED = [
    # Signed correctly, yet bad: each is refused before the upstream.
    ("POST", f"{CREATE}?user_id=1&user_id=2", None, 195),
    ("POST", f"{CREATE}?screen_name=a&screen_name=b", None, 195),
    ("POST", f"{CREATE}?user_id=%00", None, 108),
    ("POST", f"{CREATE}?screen_name=%C0%AF", None, 108),
    ("POST", f"{CREATE}?screen_name=" + "a" * 5000, None, 108),
    ("POST", CREATE, {"content": b'{"user_id": "783214"}', "type": "application/json"}, 38),
    (
        "POST",
        CREATE,
        {"content": b"--x\r\n\r\nuser_id=1", "type": "multipart/form-data; boundary=x"},
        38,
    ),
    ("GET", CREATE + "?user_id=783214", None, 34),
    ("DELETE", f"{BASE}/1.1/mutes/users/destroy.json?user_id=783214", None, 34),
    ("GET", f"{BASE}/1.1/mutes/users/ids.json?cursor=99999999999999999999999", None, 195),
]


@pytest.mark.parametrize(("method", "url", "body", "code"), SIGNED)
def test_signed_but_bad(make_client: MakeClient, fake_v2: FakeV2, method, url, body, code):
    headers = signed(method, url)
    content = b""
    if body:
        headers["Content-Type"], content = body["type"], body["content"]
    response = make_client().request(method, url, headers=headers, content=content)

    assert v11_error(response) == code
    assert fake_v2.calls == []


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()


AUTHORIZATION = st.one_of(
    st.none(),
    st.text(max_size=200),
    st.builds(lambda rest: "OAuth " + rest, st.text(max_size=300)),
    st.builds(
        lambda pairs: "OAuth " + ", ".join(f'{k}="{v}"' for k, v in pairs),
        st.lists(
            st.tuples(
                st.sampled_from(
                    [
                        "oauth_consumer_key",
                        "oauth_token",
                        "oauth_nonce",
                        "oauth_signature",
                        "oauth_signature_method",
                        "oauth_timestamp",
                        "oauth_version",
                        "realm",
                    ]
                ),
                st.text(max_size=40),
            ),
            max_size=8,
        ),
    ),
)
PARAMS = st.lists(st.tuples(st.text(max_size=20), st.text(max_size=40)), max_size=6)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
    path=st.sampled_from(PATHS),
    params=PARAMS,
    body=st.binary(max_size=300),
    content_type=st.sampled_from(
        [None, FORM, "application/json", "text/plain", "multipart/form-data"]
    ),
    authorization=AUTHORIZATION,
)
def test_generated_requests_never_reach_the_upstream(
    client: TestClient, fake_v2: FakeV2, method, path, params, body, content_type, authorization
):
    fake_v2.calls.clear()
    headers = {
        k: v
        for k, v in (("Content-Type", content_type), ("Authorization", authorization))
        if v is not None and v.isprintable() and v.isascii()
    }
    response = client.request(method, BASE + path, params=params, headers=headers, content=body)

    assert response.status_code < 500
    assert fake_v2.calls == []


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    user_id=st.one_of(st.none(), st.text(max_size=25)),
    screen_name=st.one_of(st.none(), st.text(max_size=20)),
    path=st.sampled_from(["create", "destroy"]),
)
def test_generated_targets_are_checked_before_the_upstream(
    client: TestClient, fake_v2: FakeV2, user_id, screen_name, path
):
    """Signed calls with any target: a target v1.1 could not name never costs a v2 call."""
    fake_v2.calls.clear()
    params = {
        k: v for k, v in (("user_id", user_id), ("screen_name", screen_name)) if v is not None
    }
    url = str(
        client.build_request("POST", f"{BASE}/1.1/mutes/users/{path}.json", params=params).url
    )
    response = client.post(url, headers=signed("POST", url))

    assert response.status_code < 500
    named = (user_id is not None and USER_ID.fullmatch(user_id)) or (
        user_id is None and screen_name is not None and SCREEN_NAME.fullmatch(screen_name)
    )
    if not named:
        assert v11_error(response) in (38, 108, 195, 271, 272)
        assert fake_v2.calls == []


TERMS = st.one_of(
    st.none(),
    st.text(max_size=25),
    st.lists(st.sampled_from(["783214", "Twitter", "nobody", "x y", "0", ""]), max_size=4).map(
        ",".join
    ),
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    user_id=TERMS,
    screen_name=TERMS,
    extra=st.lists(
        st.tuples(
            st.sampled_from(["count", "cursor", "skip_status", "include_entities", "user_id"]),
            st.text(max_size=12),
        ),
        max_size=3,
    ),
)
def test_every_endpoint_answers_only_the_errors_its_row_names(
    client: TestClient, fake_v2: FakeV2, endpoint, user_id, screen_name, extra
):
    """Signed calls with any parameters: never a 500, and every refusal one the endpoint's
    table row lists, so the table is what the endpoint does."""
    params = [
        (k, v) for k, v in (("user_id", user_id), ("screen_name", screen_name)) if v is not None
    ]
    url = str(httpx2.URL(BASE + concrete(endpoint.path), params=[*params, *extra]))
    method = endpoint.methods[0]
    response = client.request(method, url, headers=signed(method, url))

    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert v11_error(response) in endpoint.errors


def test_a_streamed_body_over_the_limit_is_cut_off(make_client: MakeClient, fake_v2: FakeV2):
    """Without a Content-Length the limit is counted as the body arrives."""

    def chunks():
        for _ in range(64):
            yield b"user_id=" + b"9" * 1024

    client = make_client(max_body=16 * 1024)
    response = client.post(CREATE, content=chunks(), headers={"Content-Type": FORM})

    assert response.status_code == 413
    assert v11_error(response) == 195
    assert fake_v2.calls == []


# Inputs that once answered 500 with a traceback: digits that are not ASCII digits, a count too
# long for int(), a non-ASCII header on a pass-through path.
def test_a_non_ascii_timestamp_is_refused(make_client: MakeClient, fake_v2: FakeV2):
    authorization = signed("POST", f"{CREATE}?user_id=783214")["Authorization"]
    stamp = authorization.split('oauth_timestamp="')[1].split('"')[0]
    header = authorization.replace(stamp, quote("²²²²")).encode()  # oauthlib unquotes it
    response = make_client().post(f"{CREATE}?user_id=783214", headers=[(b"authorization", header)])

    assert v11_error(response) in (32, 135, 215)
    assert fake_v2.calls == []


@pytest.mark.parametrize("count", ["②", "9" * 5000, "١٢"])
@pytest.mark.parametrize("page", ["ids", "list"])
def test_a_count_that_is_no_number_is_ignored(
    make_client: MakeClient, fake_v2: FakeV2, count, page
):
    url = str(
        httpx2.URL(f"{BASE}/1.1/mutes/users/{page}.json", params={"count": count, "cursor": "-1"})
    )
    response = make_client().get(url, headers=signed("GET", url))

    assert response.status_code == 200, response.text  # v1.1 ignored a count it could not read


@pytest.mark.parametrize("cursor", ["②", "-١٢", "9" * 5000])
def test_a_cursor_that_is_no_number_is_refused(make_client: MakeClient, fake_v2: FakeV2, cursor):
    url = str(httpx2.URL(f"{BASE}/1.1/mutes/users/ids.json", params={"cursor": cursor}))
    response = make_client().get(url, headers=signed("GET", url))

    assert v11_error(response) == 195
    assert fake_v2.calls == []


def test_a_non_ascii_user_agent_passes_through(make_client: MakeClient, fake_v2: FakeV2):
    url = f"{BASE}/1.1/lists/statuses.json"
    headers = [
        (b"authorization", b"Bearer fake-oauth2-user-token-carol"),
        (b"user-agent", "app/1.0 (Zoë\u2019s bot)".encode()),
    ]
    response = make_client().get(url, headers=headers)

    assert response.status_code < 500, response.text


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    count=st.one_of(st.none(), st.text(max_size=30), st.text("0123456789²③٣", min_size=4300)),
    cursor=st.one_of(st.none(), st.text(max_size=30)),
    page=st.sampled_from(["ids", "list"]),
)
def test_generated_page_parameters_never_fail(
    client: TestClient, fake_v2: FakeV2, count, cursor, page
):
    params = {k: v for k, v in (("count", count), ("cursor", cursor)) if v is not None}
    url = str(httpx2.URL(f"{BASE}/1.1/mutes/users/{page}.json", params=params))
    response = client.get(url, headers=signed("GET", url))

    assert response.status_code in (200, 403), response.text


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=st.binary(min_size=1, max_size=60).filter(
        lambda b: b.strip(b" \t") == b and b"\r" not in b and b"\n" not in b and b"\0" not in b
    )
)
def test_generated_header_bytes_pass_through(client: TestClient, fake_v2: FakeV2, value):
    url = f"{BASE}/1.1/lists/statuses.json"
    headers = [(b"authorization", b"Bearer fake-oauth2-user-token-carol"), (b"user-agent", value)]
    response = client.get(url, headers=headers)

    assert response.status_code < 500, response.text


# Non-ASCII bytes where the shim compares or decodes text: each once answered 500 with a
# traceback (compare_digest refuses non-ASCII str; a bearer's form body was decoded as UTF-8).
ADMIN_TOKEN = "fake-admin-token-0123456789abcdef"
SWITCH = f"{BASE}/_shim/all-v1"
SAME_ORIGIN = [
    (b"content-type", FORM.encode()),
    (b"origin", BASE.encode()),
    (b"sec-fetch-site", b"same-origin"),
]
NOT_ASCII = st.binary(min_size=1, max_size=40).filter(
    lambda b: not b.isascii() and b.strip(b" \t") == b and not {*b"\r\n\0"} & {*b}
)


def overridden(client: TestClient, token: bytes):
    url = f"{CREATE}?user_id=783214"
    headers = [
        *((k.lower().encode(), v.encode()) for k, v in signed("POST", url).items()),
        (b"x-shim-backend", b"v1"),
        (b"x-shim-admin-token", token),
    ]
    return client.post(url, headers=headers)


def test_a_non_ascii_admin_token_header_is_not_admitted(make_client: MakeClient, fake_v2: FakeV2):
    response = overridden(make_client(admin_token=ADMIN_TOKEN), "é".encode())

    assert response.status_code == 200, response.text
    assert ("POST", "/1.1/mutes/users/create.json") not in fake_v2.paths()  # served as routed


def test_a_bearer_form_body_that_is_not_utf8_is_refused(make_client: MakeClient, fake_v2: FakeV2):
    headers = [(b"authorization", b"Bearer fake-oauth2-user-token-carol")]
    response = make_client().post(
        CREATE, headers=[*headers, (b"content-type", FORM.encode())], content=b"user_id=\xff\xfe"
    )

    assert v11_error(response) == 215
    assert fake_v2.paths() == [("GET", "/2/users/me")]  # only the token's check


def switched(client: TestClient, body: bytes):
    login = base64.b64encode(f"admin:{ADMIN_TOKEN}".encode())
    return client.post(
        SWITCH, headers=[(b"authorization", b"Basic " + login), *SAME_ORIGIN], content=body
    )


def test_a_non_ascii_dashboard_form_token_is_a_forgery(make_client: MakeClient):
    response = switched(make_client(admin_token=ADMIN_TOKEN), "on=true&csrf=é".encode())

    assert v11_error(response) == 353


@pytest.fixture
def admin_client(make_client: MakeClient) -> TestClient:
    return make_client(admin_token=ADMIN_TOKEN)


HEADERS = st.sampled_from(
    [
        (b"authorization", b"Bearer "),
        (b"authorization", b"Bearer fake-oauth2-user-token-carol"),
        (b"authorization", b"OAuth oauth_token="),
        (b"authorization", b"Basic "),
        (b"x-shim-admin-token", b""),
        (b"x-shim-backend", b""),
        (b"origin", b"http://"),
        (b"sec-fetch-site", b""),
        (b"content-type", FORM.encode() + b"; charset="),
    ]
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(["GET", "POST"]),
    path=st.sampled_from([*PATHS, "/_shim/all-v1", "/oauth/request_token"]),
    header=HEADERS,
    value=NOT_ASCII,
    body=st.binary(max_size=60),
)
def test_generated_non_ascii_headers_and_bodies_never_fail(
    admin_client: TestClient, method, path, header, value, body
):
    """Any header the shim reads, with non-ASCII bytes in it, beside the override and a form
    type: never a 500, and any refusal v1.1-shaped (the operator's pages ask for a password)."""
    name, start = header
    headers = [
        (b"x-shim-backend", b"v1"),
        (b"x-shim-admin-token", ADMIN_TOKEN.encode()),
        (b"content-type", FORM.encode()),
    ]
    headers = [(k, v) for k, v in headers if k != name] + [(name, start + value)]
    response = admin_client.request(method, BASE + path, headers=headers, content=body + value)

    assert response.status_code < 500, response.text
    if response.status_code >= 400 and not path.startswith(("/_shim/", "/metrics")):
        v11_error(response)


def hand_signed(url: str, **extra: str) -> str:
    """ALICE's Authorization header for a POST of `url`, with extra OAuth values as they are
    sent (percent-encoded), signed over their decoded values as oauthlib reads them."""
    from urllib.parse import unquote, urlsplit

    from shim.credentials.hmac_signer import base_string, hmac_sha1, signing_key
    from tests.fakes import ALICE, CONSUMER_KEY, CONSUMER_SECRET

    oauth = {
        "oauth_consumer_key": CONSUMER_KEY,
        "oauth_token": ALICE.token,
        "oauth_nonce": "fakenonce" + str(time.time_ns()),
        "oauth_timestamp": str(int(time.time())),
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_version": "1.0",
        **extra,
    }
    parts = urlsplit(url)
    params = [tuple(p.split("=", 1)) for p in parts.query.split("&") if p]
    signed = [(k, unquote(v)) for k, v in [*params, *oauth.items()]]
    base = base_string("POST", url.split("?")[0], signed)
    oauth["oauth_signature"] = quote(hmac_sha1(signing_key(CONSUMER_SECRET, ALICE.secret), base))
    return "OAuth " + ", ".join(f'{k}="{v}"' for k, v in oauth.items())


@pytest.mark.parametrize(
    "header",
    [
        lambda url: sign("POST", url)["Authorization"].replace(
            'oauth_signature="', 'oauth_signature="%C3%A9'
        ),
        lambda url: hand_signed(url, oauth_body_hash="%C3%A9"),
        lambda url: hand_signed(url, oauth_nonce="%FF%FEfakenonce"),
    ],
    ids=["non-ASCII signature", "non-ASCII body hash", "undecodable nonce"],
)
def test_non_ascii_oauth_values_are_refused(make_client: MakeClient, fake_v2: FakeV2, header):
    """Compared with hmac.compare_digest, a str that is not ASCII raised TypeError: a 500."""
    url = f"{CREATE}?user_id=783214"
    response = make_client().post(url, headers={"Authorization": header(url)})

    assert v11_error(response) in (32, 215)
    assert fake_v2.calls == []


@pytest.mark.parametrize(
    "target",
    [b"/1.1/statuses/update.json?status=\xc3\xa9", b"/1.1/statuses/update.json?status=a b"],
)
def test_a_query_that_is_not_plain_ascii_never_leaves(make_client: MakeClient, fake_v2, target):
    """Forwarded, it would not be the bytes verified: httpx2 re-encodes what is not ASCII."""
    from tests.asgi import raw_request

    bearer = [(b"authorization", b"Bearer fake-oauth2-user-token-carol")]
    status, body = raw_request(make_client(), "POST", target, bearer)

    assert (status, body["errors"][0]["code"]) == (403, 195)
    assert fake_v2.calls == []
