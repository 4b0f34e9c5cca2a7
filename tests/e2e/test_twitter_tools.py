"""Python Twitter Tools (`twitter` on PyPI), unchanged but for its `domain`: it signs in the query
for GET and in the form body for POST, and got 400/215 on every call before the shim read OAuth
parameters there (RFC 5849 §3.5.2, §3.5.3)."""

from collections.abc import Callable
from typing import Any

import pytest
from twitter import OAuth, Twitter, TwitterHTTPError

from tests.e2e.conftest import Server
from tests.fake_timelines import posted
from tests.fakes import ALICE, CONSUMER_KEY, CONSUMER_SECRET, twitter_user

pytestmark = pytest.mark.e2e
RECENT = twitter_user()["data"]["most_recent_tweet_id"]  # @Twitter's, which the fake knows


@pytest.fixture
def tools(server: Server, monkeypatch: pytest.MonkeyPatch) -> Any:
    # How an operator makes Python's ssl (urllib, which this client uses) trust the shim's CA.
    monkeypatch.setenv("SSL_CERT_FILE", server.ca_file)
    return Twitter(
        auth=OAuth(ALICE.token, ALICE.secret, CONSUMER_KEY, CONSUMER_SECRET), domain=server.host
    )


def refusal(call: Callable[[], object]) -> tuple[int, int]:
    with pytest.raises(TwitterHTTPError) as error:
        call()
    return error.value.e.code, error.value.response_data["errors"][0]["code"]


def test_mute_and_unmute_signed_in_the_form_body(server: Server, tools: Twitter):
    muted = tools.mutes.users.create(user_id=783214)
    assert (muted["screen_name"], muted["muting"]) == ("Twitter", True)
    assert (ALICE.user_id, "783214") in server.fake.muted

    unmuted = tools.mutes.users.destroy(screen_name="Twitter")
    assert unmuted["muting"] is False
    assert (ALICE.user_id, "783214") not in server.fake.muted


def test_v11_errors_unmuting_a_user_not_muted_and_an_unknown_user(server: Server, tools: Twitter):
    assert refusal(lambda: tools.mutes.users.destroy(user_id=783214)) == (403, 272)
    assert ("DELETE", f"/2/users/{ALICE.user_id}/muting/783214") not in server.fake.paths()
    assert refusal(lambda: tools.mutes.users.create(screen_name="nobody")) == (403, 108)


def test_a_cursored_list_signed_in_the_query(server: Server, tools: Twitter):
    muted = {str(n) for n in range(20_000, 20_045)}
    server.fake.muted |= {(ALICE.user_id, target) for target in muted}
    seen: list[str] = []
    cursor = -1
    while cursor:
        page = tools.mutes.users.list(cursor=cursor, count=20, skip_status=True)
        seen += [user["id_str"] for user in page["users"]]
        cursor = page["next_cursor"]

    assert sorted(seen) == sorted(muted)
    for call in server.fake.calls:
        assert "oauth_" not in str(call.url)


def test_a_call_passed_through_signed_in_the_query(server: Server, tools: Twitter):
    settings = tools.account.settings()

    assert settings["path"] == "/1.1/account/settings.json"
    (call,) = server.fake.calls
    assert "oauth_" not in str(call.url)
    assert call.headers["authorization"].startswith("OAuth ")


def test_rate_limit_status_signed_in_the_query_is_the_shims_own(server: Server, tools: Twitter):
    limits = tools.application.rate_limit_status(resources="mutes")

    assert set(limits["resources"]) == {"mutes"}
    assert server.fake.calls == []


def test_a_tweet_deleters_read_pages_the_timeline_by_max_id(server: Server, tools: Twitter):
    """Every Tweet once, newest first, extended, through v2 only; the likes too."""
    posts = posted(server.fake.statuses, ALICE.user_id, 25, RECENT)
    server.fake.likes[(ALICE.user_id, RECENT)] = None
    seen: list[str] = []
    page = tools.statuses.user_timeline(count=10, tweet_mode="extended")
    assert page[0]["full_text"] == "tweet 24"
    while page:
        seen += [tweet["id_str"] for tweet in page]
        page = tools.statuses.user_timeline(
            count=10, max_id=int(page[-1]["id_str"]) - 1, tweet_mode="extended"
        )
    (liked,) = tools.favorites.list(user_id=ALICE.user_id)

    assert seen == posts
    assert liked["id_str"] == RECENT
    assert liked["user"]["screen_name"] == "Twitter"
    assert not any(path.startswith("/1.1/") for _, path in server.fake.paths())
