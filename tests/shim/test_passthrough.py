"""Calls the shim does not translate pass through to the upstream, verified and signed anew."""

import pytest

from tests.asgi import raw_request
from tests.conftest import MakeClient
from tests.fakes import ALICE, APP_ONLY, CAROL, FakeV2, sign
from tests.servers import free_port

BASE = "http://testserver"


def test_a_v11_get_passes_through_unchanged(make_client: MakeClient, fake_v2: FakeV2):
    url = f"{BASE}/1.1/lists/statuses.json?include_entities=false&count=1"
    response = make_client().get(url, headers=sign("GET", url))

    assert response.status_code == 200
    assert response.json()["path"] == "/1.1/lists/statuses.json"
    assert response.headers["x-rate-limit-remaining"] == "74"
    assert response.headers.get_list("set-cookie") == ["guest_id=v1%3A1; Path=/", "lang=en; Path=/"]
    assert "keep-alive" not in response.headers
    (sent,) = fake_v2.calls
    assert sent.url.raw_path == b"/1.1/lists/statuses.json?include_entities=false&count=1"


def test_a_form_post_keeps_its_body_and_is_signed_with_it(make_client: MakeClient, fake_v2):
    """The fake v2 checks the signature over the form body too, so this fails if it is dropped."""
    url = f"{BASE}/1.1/account/update_profile.json"
    form = {"description": "Hello, world & friends"}
    response = make_client().post(url, data=form, headers=sign("POST", url, form=form))

    assert response.status_code == 200
    assert response.json()["body"] == "description=Hello%2C+world+%26+friends"
    assert response.json()["content_type"] == "application/x-www-form-urlencoded"


def test_encoded_paths_and_queries_are_kept(make_client: MakeClient):
    url = f"{BASE}/1.1/users/search.json?q=%23python%20shim&count=2"
    response = make_client().get(url, headers=sign("GET", url))

    assert response.status_code == 200
    assert response.json()["query"] == "q=%23python%20shim&count=2"


def test_pass_through_checks_the_signature_first(make_client: MakeClient, fake_v2: FakeV2):
    url = f"{BASE}/1.1/lists/statuses.json"
    response = make_client().get(url, headers=sign("GET", url, consumer_secret="wrong"))

    assert (response.status_code, response.json()["errors"][0]["code"]) == (401, 32)
    assert fake_v2.calls == []


def test_v2_paths_pass_through_too(make_client: MakeClient, fake_v2: FakeV2):
    fake_v2.muted.add((ALICE.user_id, "783214"))
    url = f"{BASE}/2/users/{ALICE.user_id}/muting"
    response = make_client().get(url, headers=sign("GET", url))

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json()["data"][0]["id"] == "783214"


def test_an_oauth2_token_passes_through_as_it_came(make_client: MakeClient, fake_v2: FakeV2):
    response = make_client().get(
        f"{BASE}/2/users/me", headers={"Authorization": f"Bearer {CAROL.token}"}
    )

    assert response.json()["data"]["id"] == CAROL.user_id
    assert fake_v2.calls[0].headers["authorization"] == f"Bearer {CAROL.token}"


def test_an_unreachable_upstream_is_130(make_client: MakeClient):
    url = f"{BASE}/1.1/lists/statuses.json"
    client = make_client(upstream_url=f"http://127.0.0.1:{free_port()}")  # nothing listens
    response = client.get(url, headers=sign("GET", url))

    assert (response.status_code, response.json()["errors"][0]["code"]) == (503, 130)


@pytest.mark.parametrize("value", [b"bot/1.0 \x01", b"\x7f", b"caf\xc3\xa9\x1b[0m", b"caf\xe9"])
def test_a_header_that_cannot_go_as_it_came_is_refused_without_v2(
    make_client: MakeClient, fake_v2: FakeV2, value: bytes
):
    """Found once the tests reached v2 over a real socket: aiohttp will not send control
    characters (no HTTP field value may hold them), and the shim answered 500; and it writes
    a header's text as UTF-8, so a lone latin-1 byte would not arrive as it was sent. (Sent
    raw: the test client would re-encode that byte as UTF-8 itself.)"""
    path = "/1.1/lists/statuses.json"
    headers = [
        (k.lower().encode(), v.encode()) for k, v in sign("GET", f"http://testserver{path}").items()
    ]
    headers.append((b"user-agent", value))
    answer = raw_request(make_client(), "GET", path.encode(), headers)

    assert answer == (
        400,
        {"errors": [{"code": 195, "message": "A request header cannot be passed on as it came."}]},
    )
    assert fake_v2.calls == []


def test_a_utf8_header_goes_on_byte_for_byte(make_client: MakeClient, fake_v2):
    """Found with the socket too: the header's bytes were read as latin-1 and aiohttp wrote
    that text as UTF-8, so `café` arrived as `cafÃ©`."""
    url = f"{BASE}/1.1/lists/statuses.json"
    headers = [*((k.encode(), v.encode()) for k, v in sign("GET", url).items())]
    agent = "café\tbot ✓".encode()
    response = make_client().get(url, headers=[*headers, (b"user-agent", agent)])

    assert response.status_code == 200
    assert (b"user-agent", agent) in fake_v2.calls[0].headers.raw


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_every_method_passes_and_the_upstream_status_comes_back(make_client, fake_v2, method):
    url = f"{BASE}/2/lists/123"
    response = make_client().request(method, url, headers=sign(method, url))

    assert [(r.method, r.url.path) for r in fake_v2.calls] == [(method, "/2/lists/123")]
    assert (response.status_code, response.json()["title"]) == (403, "Forbidden")


def test_an_app_only_token_passes_through_unidentified(make_client, fake_v2: FakeV2):
    """v1.1's app-only reads (trends, lookups) take an app's bearer token, which v2's
    /2/users/me cannot identify: it goes on as it came."""
    url = "http://testserver/1.1/trends/place.json?id=1"
    make_client().get(url, headers={"Authorization": f"Bearer {APP_ONLY}"})

    assert fake_v2.paths() == [("GET", "/1.1/trends/place.json")]
    assert fake_v2.calls[0].headers["authorization"] == f"Bearer {APP_ONLY}"
