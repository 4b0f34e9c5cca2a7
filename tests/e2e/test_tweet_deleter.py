"""The issue's tweet deleter, unchanged, with v1.1 itself refusing its calls upstream (453): it
pages the caller's timeline with tweepy's Cursor (max_id) and deletes every Tweet older than a
date; afterwards only the newer ones are left, each seen once, and v1.1 was never reached."""

from datetime import UTC, datetime

import pytest
import tweepy

from tests.e2e.conftest import Server
from tests.e2e.test_follows import no_v11
from tests.fake_timelines import posted
from tests.fakes import ALICE, ERRORS, twitter_user, v2_response

pytestmark = pytest.mark.e2e
RECENT = twitter_user()["data"]["most_recent_tweet_id"]  # @Twitter's, which the fake knows


def test_a_tweet_deleter_runs_unchanged(server: Server, tweepy_api):
    for method, path in (("GET", "user_timeline"), ("POST", "destroy/{id}")):
        refused = v2_response(403, ERRORS["tier_without_access"])
        server.fake.canned[(method, f"/1.1/statuses/{path}.json")] = refused
    api = tweepy_api()
    ids = posted(server.fake.statuses, ALICE.user_id, 45, RECENT)
    cutoff = datetime(2021, 6, 2, 12, 0, tzinfo=UTC)  # the Tweets span 08:03 to 19:03

    for status in tweepy.Cursor(api.user_timeline, count=20, trim_user=True).items():
        if status.created_at < cutoff:
            api.destroy_status(status.id)
    left = [s.id_str for s in tweepy.Cursor(api.user_timeline, count=200).items()]

    deleted = [("DELETE", f"/2/tweets/{i}") for i in ids if i not in left]
    assert 0 < len(left) < len(ids)
    assert left == [i for i in ids if i in server.fake.statuses]
    assert all(int(i) >> 22 >= cutoff.timestamp() * 1000 - 1288834974657 for i in left)
    assert [p for p in server.fake.paths() if p[0] == "DELETE"] == deleted
    no_v11(server)
