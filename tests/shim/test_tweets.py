"""Tweet reads through the shim and the fake v2: statuses/show with its id as a parameter or in
the path (a route with an id), statuses/lookup, and other spellings of a path with an id."""

from typing import Any

from tests.asgi import raw_request
from tests.conftest import MakeClient
from tests.fakes import CAROL, FakeV2, sign, twitter_user

BASE = "http://testserver/1.1"
RECENT = twitter_user()["data"]["most_recent_tweet_id"]  # @Twitter's, which the fake knows


def get(client: Any, path: str) -> Any:
    url = f"{BASE}/{path}"
    return client.get(url, headers=sign("GET", url))


def test_statuses_show_by_parameter_and_by_path(make_client: MakeClient, fake_v2: FakeV2):
    client = make_client()

    by_parameter = get(client, f"statuses/show.json?id={RECENT}")
    in_path = get(client, f"statuses/show/{RECENT}.json")

    assert by_parameter.status_code == in_path.status_code == 200
    assert by_parameter.json() == in_path.json()
    assert in_path.json()["id_str"] == RECENT
    assert in_path.json()["user"]["screen_name"] == "Twitter"
    assert [path for _, path in fake_v2.paths()] == [f"/2/tweets/{RECENT}"] * 2


def test_a_tweet_that_is_not_there_is_144(make_client: MakeClient, fake_v2: FakeV2):
    answer = get(make_client(), "statuses/show/404.json")

    assert answer.status_code == 404
    assert answer.json() == {"errors": [{"code": 144, "message": "No status found with that ID."}]}


def test_another_spelling_of_a_path_with_an_id_is_no_page(make_client: MakeClient, fake_v2: FakeV2):
    """As for every translated path: never passed through to v1.1 under another spelling."""
    client = make_client()
    for path in (f"/1.1/STATUSES/show/{RECENT}.json", f"/1.1/statuses/show/{RECENT}.json/"):
        bearer = [(b"authorization", f"Bearer {CAROL.token}".encode())]
        status, body = raw_request(client, "GET", path.encode(), bearer)

        assert (status, body["errors"][0]["code"]) == (404, 34), path
    assert fake_v2.calls == []


def test_statuses_lookup_in_the_order_asked(make_client: MakeClient, fake_v2: FakeV2):
    answer = get(make_client(), f"statuses/lookup.json?id=404,{RECENT}&map=true")

    assert answer.status_code == 200
    assert list(answer.json()["id"]) == ["404", RECENT]
    assert answer.json()["id"]["404"] is None
