"""Timelines and likes through the shim and the fake v2's timelines (tests/fake_timelines.py):
counts over one v2 page, max_id paging that sees every Tweet once, what v2 leaves out, and
v1.1's errors for a user not there or protected."""

from typing import Any

import pytest

from tests.conftest import MakeClient
from tests.fake_timelines import FIRST, fake_tweet, posted
from tests.fakes import ALICE, BOB, FakeV2, minimal_user, sign, twitter_user

BASE = "http://testserver/1.1"
RECENT = twitter_user()["data"]["most_recent_tweet_id"]  # @Twitter's, which the fake knows


def get(client: Any, path: str, token=ALICE) -> Any:
    url = f"{BASE}/{path}"
    return client.get(url, headers=sign("GET", url, token))


def test_a_count_of_200_takes_two_v2_pages(make_client: MakeClient, fake_v2: FakeV2):
    ids = posted(fake_v2.statuses, ALICE.user_id, 250, RECENT)

    answer = get(make_client(), "statuses/user_timeline.json?count=200")

    assert answer.status_code == 200
    assert [t["id_str"] for t in answer.json()] == ids[:200]
    assert [path for _, path in fake_v2.paths()] == [f"/2/users/{ALICE.user_id}/tweets"] * 2
    assert answer.headers["x-rate-limit-remaining"] == "899"


def test_max_id_paging_sees_every_tweet_once_and_ends(make_client: MakeClient, fake_v2: FakeV2):
    """As a tweet deleter pages: max_id one below the oldest Tweet seen, until a page is empty."""
    ids = posted(fake_v2.statuses, ALICE.user_id, 47, RECENT)
    client = make_client()
    seen: list[str] = []
    page = get(client, "statuses/user_timeline.json?count=20").json()
    while page:
        seen += [t["id_str"] for t in page]
        oldest = int(page[-1]["id_str"])
        page = get(client, f"statuses/user_timeline.json?count=20&max_id={oldest - 1}").json()

    assert seen == ids


def test_max_id_is_inclusive_and_since_id_exclusive(make_client: MakeClient, fake_v2: FakeV2):
    ids = posted(fake_v2.statuses, ALICE.user_id, 10, RECENT)

    answer = get(make_client(), f"statuses/user_timeline.json?max_id={ids[2]}&since_id={ids[6]}")

    assert [t["id_str"] for t in answer.json()] == ids[2:6]


def test_replies_and_retweets_left_out(make_client: MakeClient, fake_v2: FakeV2):
    posted(fake_v2.statuses, ALICE.user_id, 30, RECENT)
    client = make_client()

    plain = get(client, "statuses/user_timeline.json?exclude_replies=true&include_rts=false")
    with_rts = get(client, "statuses/user_timeline.json?exclude_replies=1")

    assert len(plain.json()) == 16  # 30, less 10 replies and 4 retweets
    assert all(
        t["in_reply_to_status_id"] is None and "retweeted_status" not in t for t in plain.json()
    )
    assert any("retweeted_status" in t for t in with_rts.json())
    retweet = next(t for t in with_rts.json() if "retweeted_status" in t)
    assert retweet["retweeted_status"]["id_str"] == RECENT  # the original, from includes


def test_home_mentions_and_likes(make_client: MakeClient, fake_v2: FakeV2):
    """Home: the caller's and @Twitter's (followed); mentions: Tweets naming the caller;
    likes: in the order liked, latest first."""
    (own,) = posted(fake_v2.statuses, ALICE.user_id, 1, RECENT)
    mention = FIRST + 5
    fake_v2.statuses[str(mention)] = fake_tweet(
        mention,
        BOB.user_id,
        "@alice hi",
        entities={"mentions": [{"start": 0, "end": 6, "username": "alice", "id": ALICE.user_id}]},
    )
    fake_v2.likes |= dict.fromkeys([(ALICE.user_id, RECENT), (ALICE.user_id, own)])
    client = make_client()

    home = get(client, "statuses/home_timeline.json?trim_user=1")
    mentions = get(client, "statuses/mentions_timeline.json")
    likes = get(client, "favorites/list.json?count=1")

    assert [t["id_str"] for t in home.json()] == [own, RECENT]  # not Bob's
    assert home.json()[1]["user"] == {"id": 783214, "id_str": "783214"}
    assert [t["text"] for t in mentions.json()] == ["@alice hi"]
    assert [t["id_str"] for t in likes.json()] == [own]


@pytest.mark.parametrize(
    "path", ["statuses/user_timeline.json?user_id=404", "favorites/list.json?screen_name=nobody"]
)
def test_a_user_not_there_is_34(make_client: MakeClient, fake_v2: FakeV2, path: str):
    answer = get(make_client(), path)

    assert answer.status_code == 404
    assert answer.json() == {
        "errors": [{"code": 34, "message": "Sorry, that page does not exist."}]
    }


def test_a_protected_user_not_followed_is_not_authorized(make_client: MakeClient):
    hidden = minimal_user("42", "hidden")
    hidden["data"]["protected"] = True
    client = make_client(FakeV2(twitter_user(), hidden))
    answer = get(client, "statuses/user_timeline.json?screen_name=hidden")

    assert answer.status_code == 401
    assert answer.json() == {
        "request": "/1.1/statuses/user_timeline.json",
        "error": "Not authorized.",
    }
