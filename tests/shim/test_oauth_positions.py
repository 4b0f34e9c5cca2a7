"""OAuth 1.0a parameters wherever RFC 5849 §3.5 allows them: the Authorization header, the form
body (§3.5.2) and the query (§3.5.3), as Python Twitter Tools sends them (it got 400/215 on every
call). The shim's own upstream call is signed in the header; the client's OAuth values never go
further than the shim."""

import logging

import pytest
from oauthlib.oauth1 import SIGNATURE_TYPE_BODY, SIGNATURE_TYPE_QUERY, Client

from tests.conftest import MakeClient
from tests.fakes import ALICE, CONSUMER_KEY, CONSUMER_SECRET, FakeV2, sign

BASE = "http://testserver"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def signed(method: str, url: str, kind: str, form: dict[str, str] | None = None):
    """(url, headers, body) as a client signing in the query or the body sends them."""
    client = Client(
        CONSUMER_KEY,
        client_secret=CONSUMER_SECRET,
        resource_owner_key=ALICE.token,
        resource_owner_secret=ALICE.secret,
        signature_type=kind,
    )
    body = "&".join(f"{k}={v}" for k, v in (form or {}).items()) or None
    headers = FORM if form is not None or kind == SIGNATURE_TYPE_BODY else {}
    return client.sign(url, method, body, headers)


def no_oauth_left(fake_v2: FakeV2) -> None:
    for call in fake_v2.calls:
        assert "oauth_" not in str(call.url)
        assert b"oauth_" not in call.content
        assert call.headers["authorization"].startswith("OAuth ")


def test_a_query_signed_translated_get(make_client: MakeClient, fake_v2: FakeV2):
    fake_v2.muted.add((ALICE.user_id, "783214"))
    url, headers, _ = signed("GET", f"{BASE}/1.1/mutes/users/ids.json", SIGNATURE_TYPE_QUERY)
    answer = make_client().get(url, headers=headers)

    assert answer.status_code == 200, answer.text
    assert answer.json()["ids"] == [783214]
    no_oauth_left(fake_v2)


def test_a_body_signed_translated_post(make_client: MakeClient, fake_v2: FakeV2):
    url, headers, body = signed(
        "POST",
        f"{BASE}/1.1/mutes/users/create.json",
        SIGNATURE_TYPE_BODY,
        form={"user_id": "783214"},
    )
    answer = make_client().post(url, headers=headers, content=body)

    assert answer.status_code == 200, answer.text
    assert (ALICE.user_id, "783214") in fake_v2.muted
    no_oauth_left(fake_v2)


def test_a_query_signed_pass_through_is_re_signed_in_the_header(
    make_client: MakeClient, fake_v2: FakeV2
):
    """The fake checks the header signature over the query it gets: the rest must be intact."""
    raw = f"{BASE}/1.1/users/search.json?q=%23python%20shim&count=2"
    url, headers, _ = signed("GET", raw, SIGNATURE_TYPE_QUERY)
    answer = make_client().get(url, headers=headers)

    assert answer.status_code == 200, answer.text
    sent = [part for part in url.split("?")[1].split("&") if not part.startswith("oauth_")]
    assert answer.json()["query"] == "&".join(sent) == "q=%23python+shim&count=2"
    no_oauth_left(fake_v2)


def test_a_body_signed_pass_through_post_keeps_the_rest_of_its_body(
    make_client: MakeClient, fake_v2: FakeV2
):
    url, headers, body = signed(
        "POST",
        f"{BASE}/1.1/account/update_profile.json",
        SIGNATURE_TYPE_BODY,
        form={"description": "Hello%2C%20world"},
    )
    answer = make_client().post(url, headers=headers, content=body)

    assert answer.status_code == 200, answer.text
    sent = [part for part in body.split("&") if not part.startswith("oauth_")]
    assert answer.json()["body"] == "&".join(sent) == "description=Hello%2C+world"
    no_oauth_left(fake_v2)


def test_oauth_in_two_positions_is_a_bad_request(make_client: MakeClient, fake_v2: FakeV2):
    url, _, _ = signed("GET", f"{BASE}/1.1/mutes/users/ids.json", SIGNATURE_TYPE_QUERY)
    answer = make_client().get(url, headers=sign("GET", url))

    assert (answer.status_code, answer.json()["errors"][0]["code"]) == (400, 215)
    assert fake_v2.calls == []


@pytest.mark.parametrize("kind", [SIGNATURE_TYPE_QUERY, SIGNATURE_TYPE_BODY])
def test_a_query_or_body_signed_request_is_still_checked(make_client: MakeClient, kind: str):
    url, headers, body = signed(
        "POST", f"{BASE}/1.1/mutes/users/create.json", kind, form={"user_id": "783214"}
    )
    client = make_client()
    assert client.post(url, headers=headers, content=body).status_code == 200
    replayed = client.post(url, headers=headers, content=body)
    assert (replayed.status_code, replayed.json()["errors"][0]["code"]) == (401, 32)
    forged = client.post(url, headers=headers, content=body.replace("783214", "783215"))
    assert (forged.status_code, forged.json()["errors"][0]["code"]) == (401, 32)


def test_no_oauth_value_from_the_query_reaches_a_log_line(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
):
    url, headers, _ = signed("GET", f"{BASE}/1.1/users/search.json?q=x", SIGNATURE_TYPE_QUERY)
    with caplog.at_level(logging.INFO):  # as `shim serve` logs
        make_client().get(url, headers=headers)

    # The test client logs its own request line, to http://testserver, through httpx2 too.
    lines = [record.getMessage() for record in caplog.records]
    logged = "\n".join(line for line in lines if BASE not in line)
    assert ALICE.token not in logged
    assert "oauth_signature=" not in logged.replace("oauth_signature=…", "")
    assert "v2: GET /1.1/users/search.json?q=x 200" in logged  # the upstream call, on the line
