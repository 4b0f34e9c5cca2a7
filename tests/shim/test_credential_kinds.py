"""Who is who: an OAuth 1.0a token's string is public (it travels in every signed request's
header), so sent as a bearer token, with no secret, it must stand for nobody. Every cache and
share is keyed by the kind of credential and what was verified, never by the token's text."""

from pathlib import Path

import pytest

from tests.asgi import raw_request
from tests.conftest import MakeClient
from tests.fakes import BOB, FakeV2, sign

BASE = "http://testserver"
SHOW = f"{BASE}/1.1/users/show.json?screen_name=Twitter"
FRIENDSHIPS = f"{BASE}/1.1/friendships/lookup.json?screen_name=Twitter"
CREATE = f"{BASE}/1.1/mutes/users/create.json?user_id=783214"


def as_bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refusal(response) -> tuple[int, int]:
    return response.status_code, response.json()["errors"][0]["code"]


@pytest.mark.parametrize("url", [SHOW, FRIENDSHIPS])
def test_a_signed_token_as_a_bearer_reads_nothing_of_its_owner(
    make_client: MakeClient, fake_v2: FakeV2, url
):
    """BOB's lookups are cached for BOB; his token's text as a bearer token is not BOB."""
    client = make_client()
    assert client.get(url, headers=sign("GET", url, BOB)).status_code == 200
    fake_v2.calls.clear()

    stolen = client.get(url, headers=as_bearer(BOB.token))

    assert refusal(stolen) == (401, 89)
    # v2 was asked whether the bearer token is one, and said no: nothing came from a cache.
    assert [(r.method, r.url.path, r.headers["authorization"]) for r in fake_v2.calls] == [
        ("GET", "/2/users/me", f"Bearer {BOB.token}")
    ]


@pytest.fixture
def by_user(tmp_path: Path) -> str:
    """Routing that needs the caller's user id for every mute: a deny list."""
    path = tmp_path / "routing.toml"
    path.write_text('[routes."mutes/users/create"]\nmode = "v2"\ndeny = ["1"]\n')
    return str(path)


def test_a_refused_bearer_does_not_lock_out_the_signed_token_of_the_same_text(
    make_client: MakeClient, fake_v2: FakeV2, by_user: str
):
    client = make_client(config_path=by_user)
    refused = client.post(CREATE, headers=as_bearer(BOB.token))
    assert refusal(refused) == (401, 89)

    mute = client.post(CREATE, headers=sign("POST", CREATE, BOB))

    assert mute.status_code == 200, mute.text
    assert (BOB.user_id, "783214") in fake_v2.muted


@pytest.mark.parametrize("token", [b"tok\x01en", b"caf\xc3\xa9", b"two words", b"tab\tbed"])
@pytest.mark.parametrize("path", [b"/1.1/mutes/users/ids.json", b"/1.1/lists/statuses.json"])
def test_a_bearer_token_that_is_not_one_word_of_visible_ascii_is_215(
    make_client: MakeClient, fake_v2: FakeV2, token: bytes, path: bytes
):
    """Found when the tests moved to a real socket: a control character in a token passed on
    made aiohttp refuse the call, and the shim answered 500. No token X issues is anything but
    one word of visible ASCII."""
    answer = raw_request(make_client(), "GET", path, [(b"authorization", b"Bearer " + token)])

    assert answer == (400, {"errors": [{"code": 215, "message": "Bad Authentication data."}]})
    assert fake_v2.calls == []
