"""Signing a user in through the shim: request_token, authorize, access_token, then use it."""

from urllib.parse import parse_qsl

import pytest

from tests.conftest import MakeClient
from tests.fakes import DAVE, REQUEST_TOKEN, VERIFIER, FakeV2, Token, sign

BASE = "http://testserver"
REQUEST = f"{BASE}/oauth/request_token"
ACCESS = f"{BASE}/oauth/access_token"
MUTE = f"{BASE}/1.1/mutes/users/create.json?screen_name=Twitter"


def form(response) -> dict[str, str]:
    return dict(parse_qsl(response.text))


def test_a_user_signs_in_and_can_mute_at_once(make_client: MakeClient, fake_v2: FakeV2, settings):
    """The access token the upstream grants goes into the store: no `shim tokens add` needed."""
    client = make_client()
    requested = client.post(REQUEST, headers=sign("POST", REQUEST, None, callback="oob"))
    authorize = client.get(
        f"{BASE}/oauth/authorize?oauth_token={REQUEST_TOKEN.token}", follow_redirects=False
    )
    granted = client.post(ACCESS, headers=sign("POST", ACCESS, REQUEST_TOKEN, verifier=VERIFIER))
    muted = client.post(MUTE, headers=sign("POST", MUTE, DAVE))

    assert form(requested) == {
        "oauth_token": REQUEST_TOKEN.token,
        "oauth_token_secret": REQUEST_TOKEN.secret,
        "oauth_callback_confirmed": "true",
    }
    assert authorize.status_code == 302
    assert authorize.headers["location"] == (
        f"{settings.upstream_url}/oauth/authorize?oauth_token={REQUEST_TOKEN.token}"
    )
    assert form(granted)["oauth_token"] == DAVE.token
    assert (muted.status_code, muted.json()["muting"]) == (200, True)
    assert (DAVE.user_id, "783214") in fake_v2.muted


def test_a_forged_request_token_request_never_leaves(make_client: MakeClient, fake_v2: FakeV2):
    response = make_client().post(
        REQUEST, headers=sign("POST", REQUEST, None, callback="oob", consumer_secret="wrong")
    )

    assert (response.status_code, response.json()["errors"][0]["code"]) == (401, 32)
    assert fake_v2.calls == []


def test_a_request_token_without_a_callback_is_bad_data(make_client: MakeClient, fake_v2):
    response = make_client().post(REQUEST, headers=sign("POST", REQUEST, None))

    assert (response.status_code, response.json()["errors"][0]["code"]) == (400, 215)
    assert fake_v2.calls == []


def test_an_access_token_request_needs_a_request_token_the_shim_saw(make_client, fake_v2):
    """A request token the upstream did not issue through this shim: its secret is unknown."""
    stranger = Token("fakerequesttokenneverissued01", "fake-guess", "")
    response = make_client().post(ACCESS, headers=sign("POST", ACCESS, stranger, verifier="1"))

    assert (response.status_code, response.json()["errors"][0]["code"]) == (401, 89)
    assert fake_v2.calls == []


# The validator once signed unknown tokens' checks with the secret "dummy": whoever used it as
# the secret of a made-up token had a valid signature wherever the token itself went unchecked.
GUESSED = Token("fakemadeuptoken00000000000001", "dummy", "")


def test_a_request_token_request_carrying_a_token_never_leaves(make_client, fake_v2):
    """oauth/request_token is signed by the app alone: a token on it is malformed sign-in."""
    response = make_client().post(REQUEST, headers=sign("POST", REQUEST, GUESSED, callback="oob"))

    assert (response.status_code, response.json()["errors"][0]["code"]) == (400, 215)
    assert fake_v2.calls == []


@pytest.mark.parametrize(
    ("url", "options", "code"),
    [
        (ACCESS, {"verifier": VERIFIER}, 89),
        (MUTE, {}, 89),
        (f"{BASE}/1.1/statuses/update.json?status=x", {}, 89),
    ],
)
def test_no_check_accepts_a_placeholder_secret(make_client, fake_v2, url, options, code):
    response = make_client().post(url, headers=sign("POST", url, GUESSED, **options))

    assert (response.status_code, response.json()["errors"][0]["code"]) == (401, code)
    assert fake_v2.calls == []


def test_an_unknown_app_signing_with_a_placeholder_secret_is_refused(make_client, fake_v2):
    headers = sign("POST", REQUEST, None, callback="oob", consumer_secret="dummy")
    headers["Authorization"] = headers["Authorization"].replace(
        'oauth_consumer_key="fakeconsumerkey', 'oauth_consumer_key="fakeotherkey'
    )
    response = make_client().post(REQUEST, headers=headers)

    assert (response.status_code, response.json()["errors"][0]["code"]) == (401, 32)
    assert fake_v2.calls == []
