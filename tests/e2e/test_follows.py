"""Follow, relationship and unfollow from real legacy clients (tweepy's v1.1 API, python-twitter)
against `shim serve` over TLS, with v1.1 itself refusing every call upstream (453), as today's
X does for most apps: every answer comes from v2."""

from collections.abc import Callable

import pytest
import tweepy

from mappings.errors import CODES
from tests.e2e.conftest import Server
from tests.e2e.test_unchanged_clients import python_twitter_session
from tests.fakes import ALICE, ERRORS, v2_response

pytestmark = pytest.mark.e2e

V11_PATHS = ("friendships/create", "friendships/destroy", "friendships/show")


@pytest.fixture
def refusing_v11(server: Server) -> Server:
    """The fake upstream answering v1.1's friendships calls as a tier without v1.1 access."""
    for path in V11_PATHS:
        for method in ("GET", "POST"):
            refused = v2_response(403, ERRORS["tier_without_access"])
            server.fake.canned[(method, f"/1.1/{path}.json")] = refused
    server.fake.related["following"].discard((ALICE.user_id, "783214"))
    return server


@pytest.fixture
def api(refusing_v11: Server, tweepy_api: Callable[[], tweepy.API]) -> tweepy.API:
    return tweepy_api()


def no_v11(server: Server) -> None:
    assert not any(path.startswith("/1.1/") for _, path in server.fake.paths())


def test_tweepy_follows_reads_the_relationship_and_unfollows(refusing_v11: Server, api):
    followed = api.create_friendship(screen_name="Twitter")
    source, target = api.get_friendship(target_screen_name="Twitter")
    unfollowed = api.destroy_friendship(user_id=783214)
    again = api.destroy_friendship(screen_name="Twitter")  # not followed: no error in v1.1
    after, _ = api.get_friendship(source_id=int(ALICE.user_id), target_id=783214)

    assert isinstance(followed, tweepy.models.User)
    assert (followed.screen_name, followed.following, followed.muting) == ("Twitter", True, False)
    assert isinstance(source, tweepy.models.Friendship)
    assert (source.id_str, source.screen_name, source.following) == (ALICE.user_id, "me", True)
    assert (target.screen_name, target.followed_by, target.following) == ("Twitter", True, False)
    assert (unfollowed.following, again.following, after.following) == (False, False, False)
    no_v11(refusing_v11)


def test_tweepy_sees_the_v11_errors_of_follows(refusing_v11: Server, api):
    with pytest.raises(tweepy.Forbidden) as yourself:
        api.create_friendship(user_id=int(ALICE.user_id))
    with pytest.raises(tweepy.Forbidden) as unknown:
        api.create_friendship(screen_name="nobody")
    with pytest.raises(tweepy.Forbidden) as someone_else:
        api.get_friendship(source_id=12, target_id=783214)

    assert (yourself.value.api_codes, yourself.value.api_messages) == (
        [158],
        ["You can't follow yourself."],
    )
    assert unknown.value.api_codes == [108]
    assert someone_else.value.api_codes == [163]
    # Following yourself and another source are refused before v2; the unknown user looked up.
    assert refusing_v11.fake.paths() == [("GET", "/2/users/by/username/nobody")]


def test_python_twitter_follows_through_its_base_url(refusing_v11: Server):
    seen = python_twitter_session("python-twitter-follows", refusing_v11)

    assert seen["followed"] == ["Twitter", True]
    assert seen["shown"]["source"]["following"] is True
    assert seen["shown"]["target"]["screen_name"] == "Twitter"
    assert seen["unfollowed"] == ["Twitter", False]
    assert seen["yourself"] == {"code": 158, "message": CODES[158][1]}
    no_v11(refusing_v11)
