"""A follow bot's search through real legacy clients (tweepy's v1.1 API with its Cursor,
python-twitter, Python Twitter Tools) against `shim serve` over TLS, with v1.1 itself refusing
every search upstream (453): every answer comes from v2's recent search."""

import os
from collections.abc import Callable
from typing import Any

import pytest
import requests
import tweepy
from twitter import OAuth, Twitter, TwitterHTTPError

from mappings.errors import CODES
from tests.e2e.conftest import Server
from tests.e2e.test_unchanged_clients import PYTHON_TWITTER, ROOT, session
from tests.fakes import ALICE, CONSUMER_KEY, CONSUMER_SECRET, ERRORS, v2_response

pytestmark = pytest.mark.e2e

FIRST = 1_500_000_000_000_000_100
GIVEAWAYS = [str(FIRST + n) for n in range(25)]  # "giveaway number n", oldest first
RETWEETS = [str(FIRST + 50 + n) for n in range(2)]  # retweets of a giveaway
CONTEST = str(FIRST + 60)  # "contest number 60"


def tweet(tweet_id: str, text: str, **more: Any) -> dict[str, Any]:
    return {
        "id": tweet_id,
        "text": text,
        "author_id": "783214",
        "created_at": "2026-12-01T10:00:00.000Z",
        "lang": "en",
        **more,
    }


@pytest.fixture
def searching(server: Server) -> Server:
    """v1.1 refusing search as a tier without v1.1 access; v2 knowing the bot's Tweets."""
    for method in ("GET", "POST"):
        refused = v2_response(403, ERRORS["tier_without_access"])
        server.fake.canned[(method, "/1.1/search/tweets.json")] = refused
    statuses = server.fake.statuses
    for n, tweet_id in enumerate(GIVEAWAYS):
        statuses[tweet_id] = tweet(tweet_id, f"giveaway number {n}")
    for tweet_id in RETWEETS:
        original = [{"type": "retweeted", "id": GIVEAWAYS[0]}]
        statuses[tweet_id] = tweet(tweet_id, "RT @Twitter: giveaway", referenced_tweets=original)
    statuses[CONTEST] = tweet(CONTEST, "contest number 60")
    return server


def no_v11(server: Server) -> None:
    assert not any(path.startswith("/1.1/") for _, path in server.fake.paths())


def searches(server: Server) -> list[dict[str, str]]:
    return [
        dict(call.url.params)
        for call in server.fake.calls
        if call.url.path == "/2/tweets/search/recent"
    ]


def test_tweepys_cursor_pages_every_tweet_once_and_stops(
    searching: Server, track: Callable[[requests.Session], requests.Session]
):
    auth = tweepy.OAuth1UserHandler(CONSUMER_KEY, CONSUMER_SECRET, ALICE.token, ALICE.secret)
    api = tweepy.API(auth, host=searching.host)
    track(api.session)

    found = list(tweepy.Cursor(api.search_tweets, q="giveaway -filter:retweets", count=10).items())

    assert [status.id_str for status in found] == GIVEAWAYS[::-1]
    assert {status.user.screen_name for status in found} == {"Twitter"}
    asked = searches(searching)
    assert [a["query"] for a in asked] == ["giveaway -is:retweet"] * 4
    # tweepy pages by max_id, the oldest seen less one; v2's until_id excludes: one more.
    assert [a.get("until_id") for a in asked] == [None, GIVEAWAYS[15], GIVEAWAYS[5], GIVEAWAYS[0]]
    # The follow bot likes and retweets what it found: the ids are v2's own.
    assert api.get_status(found[0].id).text == "giveaway number 24"
    no_v11(searching)


def test_a_follow_bot_searches_likes_and_retweets(
    searching: Server, track: Callable[[requests.Session], requests.Session]
):
    """The follow bot's whole job: the ids search hands out are ones v2's like and retweet take."""
    auth = tweepy.OAuth1UserHandler(CONSUMER_KEY, CONSUMER_SECRET, ALICE.token, ALICE.secret)
    api = tweepy.API(auth, host=searching.host)
    track(api.session)

    found = list(tweepy.Cursor(api.search_tweets, q="giveaway -filter:retweets").items(3))
    for status in found:
        api.create_favorite(status.id)
        api.retweet(status.id)

    wanted = GIVEAWAYS[::-1][:3]
    assert [status.id_str for status in found] == wanted
    assert {(ALICE.user_id, tweet_id) for tweet_id in wanted} <= set(searching.fake.likes)
    retweeted = [
        ref["id"]
        for tweet in searching.fake.statuses.values()
        if tweet.get("author_id") == ALICE.user_id
        for ref in tweet.get("referenced_tweets", [])
    ]
    assert sorted(retweeted) == sorted(wanted)
    no_v11(searching)


def test_python_twitter_searches_by_term_and_by_raw_query(searching: Server):
    if not (PYTHON_TWITTER / "twitter").is_dir():
        pytest.fail(f"python-twitter is not in {PYTHON_TWITTER}: run scripts/install")

    seen = session(
        "python-twitter-search",
        f"https://{searching.host}/1.1",
        env={"PYTHONPATH": os.pathsep.join([str(PYTHON_TWITTER), str(ROOT)])},
    )

    assert seen["term"] == [[i, "Twitter"] for i in GIVEAWAYS[::-1][:10]]
    # v1.1's `giveaway OR contest number` is `(giveaway OR contest) number` in v2.
    assert seen["raw"] == [CONTEST, *GIVEAWAYS[::-1][:4]]
    assert seen["refused"]["code"] == 195
    assert [a["query"] for a in searches(searching)] == [
        "giveaway -is:retweet",
        "(giveaway OR contest) number",
    ]
    no_v11(searching)


def test_python_twitter_tools_searches(searching: Server, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SSL_CERT_FILE", searching.ca_file)
    tools = Twitter(
        auth=OAuth(ALICE.token, ALICE.secret, CONSUMER_KEY, CONSUMER_SECRET),
        domain=searching.host,
    )

    page = tools.search.tweets(q="giveaway filter:retweets", count=5)
    with pytest.raises(TwitterHTTPError) as refused:
        tools.search.tweets(q="")

    assert [s["id_str"] for s in page["statuses"]] == RETWEETS[::-1]
    assert "next_results" not in page["search_metadata"]
    assert refused.value.e.code == 400
    assert refused.value.response_data["errors"] == [{"code": 25, "message": CODES[25][1]}]
    no_v11(searching)
