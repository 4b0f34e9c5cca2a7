"""The social graph's reads through the shim and the fake v2: anyone's friends and followers,
paged with v1.1 cursors across v2 pages, protected lists refused as v1.1 refused them."""

from typing import Any

from tests.conftest import MakeClient
from tests.fakes import ALICE, FakeV2, minimal_user, sign, twitter_user

BASE = "http://testserver"


def get(client: Any, path: str) -> Any:
    url = f"{BASE}/1.1/{path}"
    return client.get(url, headers=sign("GET", url))


def test_all_of_7000_friends_in_two_v11_pages(make_client: MakeClient, fake_v2: FakeV2):
    """A mute tool's first step: every id the caller follows, 5000 to a page as in v1.1."""
    followed = {str(2_000_000 + n) for n in range(7000)}
    fake_v2.related["following"] = {(ALICE.user_id, user_id) for user_id in followed}
    client = make_client()

    first = get(client, "friends/ids.json?stringify_ids=true").json()
    cursor = first["next_cursor_str"]
    second = get(client, f"friends/ids.json?stringify_ids=true&cursor={cursor}").json()

    assert (len(first["ids"]), len(second["ids"])) == (5000, 2000)
    assert set(first["ids"]) | set(second["ids"]) == followed
    assert second["next_cursor"] == 0
    assert [c.url.params["max_results"] for c in fake_v2.calls if "following" in c.url.path] == [
        "1000"
    ] * 7
    assert int(second["previous_cursor"]) < 0


def test_another_users_followers_by_screen_name(make_client: MakeClient, fake_v2: FakeV2):
    fake_v2.related["following"] |= {("12", "783214"), ("13", "783214")}

    answer = get(make_client(), "followers/ids.json?screen_name=twitter")

    assert answer.status_code == 200
    followers = {source for source, target in fake_v2.related["following"] if target == "783214"}
    assert {"12", "13", ALICE.user_id} <= followers
    assert sorted(answer.json()["ids"]) == sorted(int(user_id) for user_id in followers)
    assert answer.json()["total_count"] is None


def test_an_unknown_user_is_34(make_client: MakeClient, fake_v2: FakeV2):
    answer = get(make_client(), "friends/ids.json?user_id=404404")

    assert answer.status_code == 404
    assert answer.json() == {
        "errors": [{"code": 34, "message": "Sorry, that page does not exist."}]
    }


def test_a_protected_users_list_is_not_authorized(make_client: MakeClient):
    hidden = minimal_user("777", "hidden")
    hidden["data"]["protected"] = True
    fake = FakeV2(twitter_user(), hidden)

    answer = get(make_client(fake), "friends/ids.json?user_id=777")

    assert answer.status_code == 401
    assert answer.json() == {"request": "/1.1/friends/ids.json", "error": "Not authorized."}


def test_friends_list_users_carry_their_status(make_client: MakeClient, fake_v2: FakeV2):
    answer = get(make_client(), "friends/list.json")
    (user,) = answer.json()["users"]

    assert answer.status_code == 200
    assert user["screen_name"] == "Twitter"
    assert user["following"] is True
    assert user["status"]["id_str"] == twitter_user()["data"]["most_recent_tweet_id"]
    assert any(call.url.path == "/2/tweets" for call in fake_v2.calls)
