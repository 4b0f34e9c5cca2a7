"""search/tweets through the shim and the fake v2: the query rewritten before it leaves, v1.1's
answer, refusals without an upstream call, and compare mode against v1.1's real recorded answer."""

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from tests.conftest import MakeClient
from tests.fakes import APP_ONLY, BOB, FakeV2, Token, load, sign, twitter_user, v2_response
from tests.shim.test_routing import comparing, routed, wait_for_comparisons
from tests.v2_shapes import v2_page

BASE = "http://testserver/1.1/search/tweets.json"
RECENT = twitter_user()["data"]["most_recent_tweet_id"]  # "@Caleb_Brentley Solid select"
RECORDED = json.loads(
    load("reference/testsearchtweets.json")["interactions"][0]["response"]["body"]["string"]
)


def search(client: Any, q: str, **params: str) -> Any:
    url = f"{BASE}?q={quote(q)}" + "".join(f"&{k}={quote(v)}" for k, v in params.items())
    return client.get(url, headers=sign("GET", url))


def test_a_search_is_v2s_recent_search_in_v11s_shape(make_client: MakeClient, fake_v2: FakeV2):
    answer = search(make_client(), "solid OR nothing select -filter:retweets")

    assert answer.status_code == 200
    assert [s["id_str"] for s in answer.json()["statuses"]] == [RECENT]
    assert answer.json()["statuses"][0]["user"]["screen_name"] == "Twitter"
    assert answer.json()["search_metadata"]["query"] == "solid+OR+nothing+select+-filter%3Aretweets"
    assert answer.headers["x-rate-limit-limit"] == "450"  # the fake v2's window
    (call,) = fake_v2.calls
    assert call.url.path == "/2/tweets/search/recent"
    assert call.url.params["query"] == "(solid OR nothing) select -is:retweet"


def test_what_v2_cannot_search_is_refused_without_an_upstream_call(
    make_client: MakeClient, fake_v2: FakeV2
):
    client = make_client()
    missing = client.get(BASE, headers=sign("GET", BASE))
    emoticon = search(client, "movie -scary :)")

    assert (missing.status_code, missing.json()["errors"][0]["code"]) == (400, 25)
    assert (emoticon.status_code, emoticon.json()["errors"][0]["code"]) == (403, 195)
    assert ":)" in emoticon.json()["errors"][0]["message"]
    assert fake_v2.calls == []


def test_compared_with_v11s_recorded_answer_only_known_differences(
    make_client: MakeClient, config: Callable[[str], str], fake_v2: FakeV2
):
    """v1.1 answers with its real recording, v2 with the same Tweets in v2's shape: whatever
    differs is one of the differences docs/differences.md names."""
    # A compat-mode Tweet v1.1 cut (`truncated`) was recorded only cut: no v2 shape of it can
    # hold the whole text v2 would give, so those five are left out of both answers.
    whole = [s for s in RECORDED["statuses"] if not cut(s)]
    v11 = RECORDED | {"statuses": whole}
    fake_v2.canned[("GET", "/1.1/search/tweets.json")] = v2_response(200, v11)
    page = v2_page(whole, next_token="more")
    fake_v2.canned[("GET", "/2/tweets/search/recent")] = v2_response(200, page)
    client = routed(make_client, config, comparing(["search/tweets"], "v2"))

    answer = search(client, "tweepy")
    report = wait_for_comparisons(client, 1)["search/tweets"]

    assert answer.status_code == 200
    assert report["requests"] == 1
    unexplained = {k: f for k, f in report["fields"].items() if not f["known"]}
    assert unexplained == {}
    assert report["fields"]["search_metadata.completed_in"]["known"] == "search-completed-in"
    assert len(whole) == 10


def cut(status: dict[str, Any]) -> bool:
    return bool(status["truncated"] or status.get("retweeted_status", {}).get("truncated"))


def test_an_app_only_token_searches_as_in_v11(make_client: MakeClient, fake_v2: FakeV2):
    """v1.1's search took an app's bearer token, and v2's recent search takes one too: the
    search names no user, so none is asked for."""
    fake_v2.bearers[APP_ONLY] = Token(APP_ONLY, "", "")
    url = f"{BASE}?q=solid"
    answer = make_client().get(url, headers={"Authorization": f"Bearer {APP_ONLY}"})

    assert answer.status_code == 200, answer.text
    assert [s["id_str"] for s in answer.json()["statuses"]] == [RECENT]
    (call,) = fake_v2.calls
    assert call.url.path == "/2/tweets/search/recent"
    assert call.headers["authorization"] == f"Bearer {APP_ONLY}"


def test_a_user_search_asks_v2_nothing_but_the_search(make_client: MakeClient, fake_v2: FakeV2):
    """BOB's token carries no user id; the search does not need one: no /2/users/me."""
    url = f"{BASE}?q=solid"
    answer = make_client().get(url, headers=sign("GET", url, BOB))

    assert answer.status_code == 200
    assert fake_v2.paths() == [("GET", "/2/tweets/search/recent")]
