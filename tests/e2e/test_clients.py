"""Real legacy clients, unchanged but for their host, against `shim serve` over TLS."""

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import requests
import tweepy
from requests_oauthlib import OAuth1, OAuth1Session
from twython import Twython, TwythonAuthError, TwythonError

from shim.operator.cli import main
from tests.e2e.conftest import ADMIN_TOKEN, Server
from tests.fake_timelines import TWITTER_EPOCH_MS as EPOCH
from tests.fake_timelines import posted
from tests.fakes import (
    ALICE,
    BOB,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    DAVE,
    REQUEST_TOKEN,
    VERIFIER,
    Token,
    twitter_user,
)

pytestmark = pytest.mark.e2e
RECENT = twitter_user()["data"]["most_recent_tweet_id"]  # @Twitter's, which the fake knows


def test_tweepy_mutes_and_unmutes_by_screen_name(server: Server, tweepy_api):
    api = tweepy_api()

    muted = api.create_mute(screen_name="Twitter")
    assert {(ALICE.user_id, "783214")} == server.fake.muted
    unmuted = api.destroy_mute(screen_name="Twitter")

    assert isinstance(muted, tweepy.models.User)
    assert (muted.id, muted.screen_name, muted.muting) == (783214, "Twitter", True)
    assert isinstance(muted.created_at, datetime)
    assert muted.followers_count == 56335782
    assert muted.status.text == "@Caleb_Brentley Solid select"
    assert (unmuted.id, unmuted.muting) == (783214, False)
    assert set() == server.fake.muted


def test_tweepy_mutes_and_unmutes_by_user_id(server: Server, tweepy_api):
    api = tweepy_api(BOB)

    muted = api.create_mute(user_id=783214)
    unmuted = api.destroy_mute(user_id=783214)

    assert (muted.muting, unmuted.muting) == (True, False)
    assert server.fake.paths()[0] == ("GET", "/2/users/me")


def test_tweepy_sees_v11_errors(server: Server, tweepy_api):
    with pytest.raises(tweepy.Unauthorized) as forged:
        tweepy_api(secret="not-the-secret").create_mute(user_id=783214)
    with pytest.raises(tweepy.Forbidden) as missing:
        tweepy_api().create_mute(screen_name="nobody")
    with pytest.raises(tweepy.Forbidden) as yourself:
        tweepy_api().create_mute(user_id=int(ALICE.user_id))
    with pytest.raises(tweepy.Forbidden) as not_muting:
        tweepy_api().destroy_mute(user_id=783214)

    assert forged.value.api_codes == [32]
    assert missing.value.api_codes == [108]
    assert (
        yourself.value.api_codes,
        yourself.value.api_messages,
    ) == ([271], ["You can't mute yourself."])
    assert not_muting.value.api_codes == [272]
    # Only lookups: the forged call and muting yourself never reach v2, and 272 needs no DELETE.
    assert server.fake.paths() == [
        ("GET", "/2/users/by/username/nobody"),
        ("GET", "/2/users/783214"),
    ]


@pytest.fixture
def twython(
    server: Server, track: Callable[[requests.Session], requests.Session]
) -> Callable[..., Twython]:
    """twython with only its API URL changed; it sends parameters as a form body."""

    def make(token: Token = ALICE) -> Twython:
        client = Twython(
            CONSUMER_KEY,
            CONSUMER_SECRET,
            token.token,
            token.secret,
            client_args={"verify": server.ca_file},
        )
        client.api_url = f"https://{server.host}/%s"
        track(client.client)
        return client

    return make


def test_twython_sends_a_form_body(twython):
    client = twython()

    muted = client.create_mute(screen_name="Twitter")
    unmuted = client.destroy_mute(user_id="783214")

    assert (muted["screen_name"], muted["muting"], unmuted["muting"]) == ("Twitter", True, False)


def test_twython_sees_v11_errors(server: Server, twython):
    stranger = Token("1500000000000000009-" + "z" * 40, "fake-unknown-secret", "9")

    with pytest.raises(TwythonAuthError) as unknown:
        twython(stranger).create_mute(user_id="783214")
    with pytest.raises(TwythonError) as no_target:
        twython().create_mute()

    assert unknown.value.error_code == 401
    assert "Invalid or expired token." in str(unknown.value)
    assert no_target.value.error_code == 403
    assert server.fake.calls == []


def test_requests_oauthlib_replay_is_refused(
    server: Server, track: Callable[[requests.Session], requests.Session]
):
    """The same signed request twice: the second is a replay, refused before v2."""
    auth = OAuth1(
        CONSUMER_KEY,
        CONSUMER_SECRET,
        ALICE.token,
        ALICE.secret,
        nonce="e2ereplaynonce0001",
        timestamp=str(int(time.time())),
    )
    url = f"https://{server.host}/1.1/mutes/users/create.json"
    session = track(requests.Session())

    first = session.post(url, data={"user_id": "783214"}, auth=auth, verify=server.ca_file)
    calls = len(server.fake.calls)
    second = session.post(url, data={"user_id": "783214"}, auth=auth, verify=server.ca_file)

    assert (first.status_code, second.status_code) == (200, 401)
    assert second.json() == {"errors": [{"code": 32, "message": "Could not authenticate you."}]}
    assert calls == len(server.fake.calls)


def test_no_authorization_is_bad_authentication_data(server: Server, track):
    response = track(requests.Session()).post(
        f"https://{server.host}/1.1/mutes/users/create.json?user_id=1", verify=server.ca_file
    )

    assert (
        response.status_code,
        response.json(),
    ) == (400, {"errors": [{"code": 215, "message": "Bad Authentication data."}]})


def test_tweepy_walks_every_mute_list_page(server: Server, tweepy_api):
    """get_muted_ids (3 pages of up to 1000) and get_mutes (pages of 20) each see everyone once."""
    muted = {str(n) for n in range(10_000, 12_345)}
    server.fake.muted |= {(ALICE.user_id, target) for target in muted}
    api = tweepy_api()

    ids = list(tweepy.Cursor(api.get_muted_ids).items())
    users = list(tweepy.Cursor(api.get_mutes).items())

    assert sorted(str(i) for i in ids) == sorted(muted)
    assert len(ids) == len(muted)
    assert sorted(u.id_str for u in users) == sorted(muted)
    assert len(users) == len(muted)
    assert all(u.muting for u in users)


def test_tweepy_reads_the_social_graph_with_its_cursors(server: Server, tweepy_api):
    """tweepy's Cursor over friends/ids (5000 a page, here 1200 in two v2 pages), followers/list
    (pages of 20) and blocks/ids, all from v2."""
    friends = {str(n) for n in range(40_000, 41_200)}
    followers = {str(n) for n in range(50_000, 50_030)}
    blocked = {"60000", "60001"}
    server.fake.related["following"] |= {(ALICE.user_id, t) for t in friends}
    server.fake.related["following"] |= {(f, ALICE.user_id) for f in followers}
    server.fake.related["blocking"] |= {(ALICE.user_id, t) for t in blocked}
    api = tweepy_api()

    friend_ids = list(tweepy.Cursor(api.get_friend_ids).items())
    follower_users = list(tweepy.Cursor(api.get_followers).items())
    blocked_ids = list(tweepy.Cursor(api.get_blocked_ids).items())
    twitter_follows = api.get_friend_ids(screen_name="Twitter")

    assert {str(i) for i in friend_ids} == friends | {"783214"}
    assert len(friend_ids) == len(friends) + 1
    assert {u.id_str for u in follower_users} == followers
    assert all(isinstance(u, tweepy.models.User) and u.following is False for u in follower_users)
    assert {str(i) for i in blocked_ids} == blocked
    assert twitter_follows == [783214]  # @Twitter follows itself in the fake
    assert not any(path.startswith("/1.1/") for _, path in server.fake.paths())


def test_tweepy_cursors_page_timelines_by_max_id_through_v2(server: Server, tweepy_api):
    """tweepy's Cursor asks again with max_id one below the oldest Tweet it has: it ends, and
    sees every Tweet once; a tweet deleter picks what is older than a date from it."""
    ids = posted(server.fake.statuses, ALICE.user_id, 45, RECENT)
    api = tweepy_api()

    timeline = list(tweepy.Cursor(api.user_timeline, count=20).items())
    home = list(tweepy.Cursor(api.home_timeline, count=30, trim_user=True).items())
    cutoff = datetime(2021, 6, 2, 12, 0, tzinfo=UTC)  # the Tweets span 08:03 to 19:03
    old = [
        s.id_str
        for s in tweepy.Cursor(api.user_timeline, count=200).items()
        if s.created_at < cutoff
    ]

    assert [s.id_str for s in timeline] == ids
    assert all(isinstance(s, tweepy.models.Status) for s in timeline)
    assert [s.id_str for s in home] == [*ids, RECENT]  # and @Twitter's, followed
    expected = [i for i in ids if int(i) >> 22 < (cutoff.timestamp() * 1000 - EPOCH)]
    assert old == expected
    assert 0 < len(old) < len(ids)
    pages = [c.url.params for c in server.fake.calls if c.url.path.endswith("/tweets")]
    assert [p.get("until_id") for p in pages[:3]] == [None, ids[19], ids[39]]
    assert not any(path.startswith("/1.1/") for _, path in server.fake.paths())


def test_tweepy_calls_pass_through(server: Server, tweepy_api):
    settings = tweepy_api().get_settings()

    assert settings["path"] == "/1.1/account/settings.json"
    assert server.fake.paths() == [("GET", "/1.1/account/settings.json")]


def test_tweepy_hears_rate_limit_status_from_the_shim(server: Server, tweepy_api):
    """v2 has no replacement: the shim answers it, with the windows it has seen."""
    api = tweepy_api()
    api.get_settings()  # passed through: v1.1's own window for /account/settings
    limits = api.rate_limit_status(resources="account,mutes")

    assert limits["rate_limit_context"] == {"access_token": ALICE.token}
    assert set(limits["resources"]) == {"account", "mutes"}
    assert limits["resources"]["account"]["/account/settings"]["remaining"] == 74
    assert server.fake.paths() == [("GET", "/1.1/account/settings.json")]


def test_tweepy_reads_users_and_relationships_through_v2(server: Server, tweepy_api):
    """What an app calls before its first mute, answered from v2 in v1.1's shapes."""
    api = tweepy_api()
    server.fake.muted.add((ALICE.user_id, "783214"))

    me = api.verify_credentials()
    user = api.get_user(screen_name="Twitter")
    users = api.lookup_users(user_id=[783214, 999], screen_name=["nobody", "TWITTER"])
    (relation,) = api.lookup_friendships(screen_name=["Twitter"])
    with pytest.raises(tweepy.NotFound) as unknown:
        api.get_user(screen_name="nobody")

    assert isinstance(me, tweepy.models.User)
    assert (me.id_str, me.screen_name) == (ALICE.user_id, "me")
    assert (user.id, user.screen_name, user.followers_count) == (783214, "Twitter", 56335782)
    assert user.status.text == "@Caleb_Brentley Solid select"
    assert [u.screen_name for u in users] == ["Twitter"]  # once, the misses left out
    assert (relation.screen_name, relation.is_muted, relation.no_relationship) == (
        "Twitter",
        True,
        False,
    )
    assert unknown.value.api_codes == [50]
    assert not any(path.startswith("/1.1/") for _, path in server.fake.paths())


def user_stats(capsys) -> tuple[int, int]:
    """Run `shim stats` against the server; the users cache's hits and misses."""
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("users:"))
    hits, misses = re.match(r"users: (\d+) hits, (\d+) misses", line).groups()  # type: ignore[union-attr]
    return int(hits), int(misses)


def test_shim_stats_reports_cache_hits(server: Server, tweepy_api, monkeypatch, capsys):
    """A second lookup of the same screen name is a hit: no second v2 lookup."""
    monkeypatch.setenv("SHIM_ADMIN_TOKEN", ADMIN_TOKEN)
    stats = ["stats", "--url", f"https://{server.host}", "--cacert", server.ca_file]
    api = tweepy_api()
    assert main(stats) == 0
    before = user_stats(capsys)

    api.create_mute(screen_name="StatsProbe")
    api.create_mute(screen_name="StatsProbe")
    assert main(stats) == 0
    after = user_stats(capsys)

    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)
    assert server.fake.paths().count(("GET", "/2/users/by/username/StatsProbe")) == 1


def test_requests_oauthlib_signs_a_user_in_through_the_shim(server: Server, track, tweepy_api):
    """The three-legged flow as tweepy and twython run it, then the new user mutes with tweepy."""
    base = f"https://{server.host}/oauth"
    signing_in = track(
        OAuth1Session(CONSUMER_KEY, client_secret=CONSUMER_SECRET, callback_uri="oob")
    )
    signing_in.verify = server.ca_file

    request_token = signing_in.fetch_request_token(f"{base}/request_token")
    authorize = signing_in.authorization_url(f"{base}/authorize")
    # The PIN the user types after authorizing at the upstream (the "oob" flow).
    access = signing_in.fetch_access_token(f"{base}/access_token", verifier=VERIFIER)
    muted = tweepy_api(Token(access["oauth_token"], access["oauth_token_secret"], "")).create_mute(
        screen_name="Twitter"
    )

    assert request_token["oauth_token"] == REQUEST_TOKEN.token
    assert authorize == f"{base}/authorize?oauth_token={REQUEST_TOKEN.token}"
    assert (access["oauth_token"], access["screen_name"]) == (DAVE.token, "dave")
    assert muted.muting is True
    assert (DAVE.user_id, "783214") in server.fake.muted
