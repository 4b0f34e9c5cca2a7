"""Tweet writes through the shim and the fake v2: posting, deleting, liking and retweeting as a
legacy client does them, no v1.1 call made; and a dry run that never sends their v2 writes."""

import time
from typing import Any

from tests.conftest import MakeClient
from tests.fakes import ALICE, FakeV2, Token, minimal_user, sign, twitter_user

BASE = "http://testserver/1.1"
RECENT = twitter_user()["data"]["most_recent_tweet_id"]  # @Twitter's, which the fake knows


def post(client: Any, path: str, token: Token = ALICE, **form: str) -> Any:
    url = f"{BASE}/{path}"
    return client.post(url, data=form, headers=sign("POST", url, token, form=form))


def v11_calls(fake: FakeV2) -> list[str]:
    return [path for _, path in fake.paths() if path.startswith("/1.1/")]


def test_a_bot_posts_a_line_and_is_answered_with_its_tweet(
    make_client: MakeClient, fake_v2: FakeV2
):
    fake_v2.users[ALICE.user_id] = minimal_user(ALICE.user_id, "alice")
    client = make_client()

    posted = post(client, "statuses/update.json", status="a line a day & more")
    again = post(client, "statuses/update.json", status="a line a day & more")

    assert posted.status_code == 200
    tweet = posted.json()
    assert tweet["text"] == "a line a day &amp; more"  # v1.1 escaped & in text, as v2 does
    assert tweet["user"]["screen_name"] == "alice"
    assert tweet["id_str"] in fake_v2.statuses
    assert (again.status_code, again.json()["errors"][0]["code"]) == (403, 187)
    assert fake_v2.paths()[:2] == [("POST", "/2/tweets"), ("GET", f"/2/tweets/{tweet['id_str']}")]
    assert posted.headers["x-rate-limit-remaining"] == "199"  # the create's window, the tighter
    assert v11_calls(fake_v2) == []


def test_a_tweet_is_deleted_and_answered_but_not_another_users(
    make_client: MakeClient, fake_v2: FakeV2
):
    client = make_client()
    tweet_id = post(client, "statuses/update.json", status="going soon").json()["id_str"]

    deleted = post(client, f"statuses/destroy/{tweet_id}.json")
    gone = post(client, f"statuses/destroy/{tweet_id}.json")
    not_mine = post(client, f"statuses/destroy/{RECENT}.json")

    assert (deleted.status_code, deleted.json()["text"]) == (200, "going soon")
    assert tweet_id not in fake_v2.statuses
    assert (gone.status_code, gone.json()["errors"][0]["code"]) == (404, 144)
    assert (not_mine.status_code, not_mine.json()["errors"][0]["code"]) == (403, 183)
    assert RECENT in fake_v2.statuses
    assert ("DELETE", f"/2/tweets/{RECENT}") not in fake_v2.paths()
    assert v11_calls(fake_v2) == []


def test_a_like_and_an_unlike_answer_the_tweet_favorited_or_not(
    make_client: MakeClient, fake_v2: FakeV2
):
    client = make_client()

    liked = post(client, "favorites/create.json", id=RECENT)
    unliked = post(client, "favorites/destroy.json", id=RECENT)
    missing = post(client, "favorites/create.json", id="404")

    assert (liked.status_code, liked.json()["id_str"], liked.json()["favorited"]) == (
        200,
        RECENT,
        True,
    )
    assert (unliked.status_code, unliked.json()["favorited"]) == (200, False)
    assert fake_v2.likes == {}
    assert (missing.status_code, missing.json()["errors"][0]["code"]) == (404, 144)
    assert v11_calls(fake_v2) == []


def test_a_retweet_answers_the_new_retweet_and_an_unretweet_the_original(
    make_client: MakeClient, fake_v2: FakeV2
):
    client = make_client()

    retweeted = post(client, f"statuses/retweet/{RECENT}.json")
    unretweeted = post(client, f"statuses/unretweet/{RECENT}.json")

    assert retweeted.status_code == 200
    retweet = retweeted.json()
    assert retweet["id_str"] != RECENT
    assert retweet["user"]["id_str"] == ALICE.user_id
    assert retweet["retweeted_status"]["id_str"] == RECENT
    assert retweet["retweeted"] is retweet["retweeted_status"]["retweeted"] is True
    assert (unretweeted.status_code, unretweeted.json()["id_str"]) == (200, RECENT)
    assert unretweeted.json()["retweeted"] is False
    assert retweet["id_str"] not in fake_v2.statuses
    assert v11_calls(fake_v2) == []


def test_a_dry_run_never_sends_a_tweet_write(make_client: MakeClient, config, fake_v2: FakeV2):
    """The client gets v1.1's answer; the translation's reads go to v2, its writes never."""
    routes = "".join(
        f'[routes."{name}"]\nmode = "dry-run"\n'
        for name in ("statuses/update", "statuses/destroy/:id", "favorites/create")
    )
    mine = fake_v2.new_tweet(ALICE.user_id, "mine")["id"]
    client: Any = make_client(config_path=config(routes))
    answers = [
        post(client, "statuses/update.json", status="not yet"),
        post(client, f"statuses/destroy/{mine}.json"),
        post(client, "favorites/create.json", id=RECENT),
    ]
    dry_runs = client.app.state.resources.dry_runs
    deadline = time.monotonic() + 5
    while len(dry_runs.recent) < len(answers) and time.monotonic() < deadline:
        time.sleep(0.02)

    assert [a.status_code for a in answers] == [200] * 3  # v1.1's own answers
    assert len(v11_calls(fake_v2)) == 3
    assert [(m, p) for m, p in fake_v2.paths() if m != "GET" and p.startswith("/2/")] == []
    assert ("GET", f"/2/tweets/{mine}") in fake_v2.paths()  # the destroy's read is sent
    withheld = sorted(call for planned in dry_runs.recent for call in planned.calls)
    assert withheld == sorted(
        [
            'POST /2/tweets {"text": "not yet"}',
            f"DELETE /2/tweets/{mine}",
            f'POST /2/users/{ALICE.user_id}/likes {{"tweet_id": "{RECENT}"}}',
        ]
    )
    assert mine in fake_v2.statuses
    assert fake_v2.likes == {}
