"""Posting, deleting, retweeting and liking from real legacy clients (tweepy's v1.1 API,
python-twitter) against `shim serve` over TLS, with v1.1 itself refusing those calls upstream
(453), as today's X does for most apps: every answer comes from v2."""

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import tweepy

from mappings.errors import CODES
from tests.e2e.conftest import Server
from tests.e2e.test_follows import no_v11
from tests.e2e.test_unchanged_clients import python_twitter_session
from tests.fakes import ALICE, ERRORS, twitter_user, v2_response

pytestmark = pytest.mark.e2e

RECENT = twitter_user()["data"]["most_recent_tweet_id"]  # @Twitter's, which the fake knows
V11_PATHS = (
    "statuses/update",
    f"statuses/destroy/{RECENT}",
    f"statuses/retweet/{RECENT}",
    f"statuses/unretweet/{RECENT}",
    "favorites/create",
    "favorites/destroy",
)


@pytest.fixture
def refusing_v11(server: Server) -> Server:
    """The fake upstream answering v1.1's Tweet writes as a tier without v1.1 access."""
    for path in V11_PATHS:
        refused = v2_response(403, ERRORS["tier_without_access"])
        server.fake.canned[("POST", f"/1.1/{path}.json")] = refused
    return server


@pytest.fixture
def api(refusing_v11: Server, tweepy_api: Callable[[], tweepy.API]) -> tweepy.API:
    return tweepy_api()


def test_a_bot_that_posts_a_line_a_day_runs_unchanged(refusing_v11: Server, api):
    today = datetime(2026, 12, 4, tzinfo=UTC)
    line = f"{today:%A %d %B}: the line of the day"

    posted = api.update_status(line)
    with pytest.raises(tweepy.Forbidden) as again:
        api.update_status(line)

    assert isinstance(posted, tweepy.models.Status)
    assert (posted.text, posted.user.id_str) == (line, ALICE.user_id)
    assert isinstance(posted.created_at, datetime)
    assert refusing_v11.fake.statuses[posted.id_str]["text"] == line
    assert (again.value.api_codes, again.value.api_messages) == ([187], [CODES[187][1]])
    no_v11(refusing_v11)


def test_tweepy_posts_a_reply_and_deletes_it(refusing_v11: Server, api):
    reply = api.update_status(
        "@Twitter indeed", in_reply_to_status_id=int(RECENT), auto_populate_reply_metadata=True
    )
    deleted = api.destroy_status(reply.id)
    with pytest.raises(tweepy.NotFound) as gone:
        api.destroy_status(reply.id)
    with pytest.raises(tweepy.Forbidden) as not_mine:
        api.destroy_status(int(RECENT))

    assert reply.in_reply_to_status_id_str == RECENT
    assert (deleted.id, deleted.text) == (reply.id, "@Twitter indeed")
    assert reply.id_str not in refusing_v11.fake.statuses
    assert gone.value.api_codes == [144]
    assert not_mine.value.api_codes == [183]
    no_v11(refusing_v11)


def test_tweepy_retweets_unretweets_likes_and_unlikes(refusing_v11: Server, api):
    retweet = api.retweet(int(RECENT))
    original = api.unretweet(int(RECENT))
    liked = api.create_favorite(int(RECENT))
    unliked = api.destroy_favorite(int(RECENT))

    assert (retweet.retweeted_status.id_str, retweet.user.id_str) == (RECENT, ALICE.user_id)
    assert retweet.retweeted is True
    assert (original.id_str, original.retweeted) == (RECENT, False)
    assert (liked.id_str, liked.favorited, unliked.favorited) == (RECENT, True, False)
    assert refusing_v11.fake.likes == {}
    assert retweet.id_str not in refusing_v11.fake.statuses
    no_v11(refusing_v11)


def test_python_twitter_posts_and_deletes_through_its_base_url(refusing_v11: Server):
    seen = python_twitter_session("python-twitter-tweets", refusing_v11)

    tweet_id, text, author, created_at = seen["posted"]
    assert (text, author) == ("a line from python-twitter", ALICE.user_id)
    assert datetime.strptime(created_at, "%a %b %d %H:%M:%S %z %Y")
    assert seen["again"] == {"code": 187, "message": CODES[187][1]}
    assert seen["deleted"] == [tweet_id, text]
    assert tweet_id not in refusing_v11.fake.statuses
    no_v11(refusing_v11)
