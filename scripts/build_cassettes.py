"""Build cassettes/ from the real v2 traffic in tests/data/reference.

Until someone with live credentials records the shim's own traffic, these cassettes are the v2
answers the reference holds: real headers (rate limits, content type, dates) from tweepy's v2
recordings, real bodies where one exists (muting, /2/users/me, not-found and error bodies quoted in
api-facts 2.5), and @Twitter's user as tests/data/twitter_v2_user.json re-expresses it. Requests
are stored without headers, so no Authorization ever reaches a cassette.

Run from the repository root: `.venv/bin/python scripts/build_cassettes.py`.
"""

import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mappings.statuses import tweet_params  # noqa: E402
from mappings.tweets import TWEET_FIELDS  # noqa: E402
from mappings.users import lookup_params  # noqa: E402
from tests.v2_shapes import v2_answer  # noqa: E402

DATA = ROOT / "tests" / "data"
V2 = "https://api.x.com"
ALICE = "1500000000000000001"  # tests/fakes.py: the id in ALICE's token
BOB = "1500000000000000002"  # BOB's token carries no id; /2/users/me says this one
CAROL = "1500000000000000003"  # CAROL's OAuth 2.0 token: /2/users/me says this one


def recorded(name: str, index: int) -> dict[str, Any]:
    path = DATA / "reference" / f"{name}.decoded.json"
    return json.loads(path.read_text())["interactions"][index]["response"]  # type: ignore[no-any-return]


MUTE_HEADERS = recorded("test_client_mute_get_muted_and_unmute", 0)["headers"]
LOOKUP_HEADERS = recorded("test_client_get_user", 0)["headers"]
ME_HEADERS = recorded("test_client_get_me", 0)["headers"]
PROBLEM = {"content-type": ["application/problem+json"], "date": ["Thu, 07 Oct 2021 07:59:53 UTC"]}
LOOKUP_QUERY = "?" + urlencode(lookup_params(with_status=True))
TWITTER = json.loads((DATA / "twitter_v2_user.json").read_text())
# The same lookup made by a caller who mutes @Twitter: connection_status names the relationships
# to the caller (reference api-facts: its values include "muting"). An unmute asks for it first.
MUTED_TWITTER = {
    **TWITTER,
    "data": {**TWITTER["data"], "connection_status": ["following", "muting"]},
}
ERRORS = json.loads((ROOT / "shim" / "sandbox" / "v2_errors.json").read_text())
NOT_FOUND, UNAUTHORIZED = ERRORS["not_found_username"], ERRORS["unauthorized"]
NOT_ENROLLED, TOO_MANY = ERRORS["client_not_enrolled"], ERRORS["too_many_requests"]
LIMITED = {**MUTE_HEADERS, "x-rate-limit-remaining": ["0"]}
REASONS = {
    200: "OK",
    201: "Created",
    401: "Unauthorized",
    403: "Forbidden",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


HTML = {"content-type": ["text/html"]}


def interaction(
    method: str,
    path: str,
    status: int,
    body: object,
    headers: dict[str, list[str]],
    sent: dict[str, str] | None = None,
) -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    headers = {
        k: list(v) for k, v in headers.items() if k not in ("content-encoding", "set-cookie")
    }
    headers["content-length"] = [str(len(text.encode()))]
    return {
        "request": {
            "method": method,
            "uri": V2 + path,
            "body": json.dumps(sent, separators=(",", ":")) if sent else "",
            "headers": {"content-type": ["application/json"]} if sent else {},
        },
        "response": {
            "status": {"code": status, "message": REASONS[status]},
            "headers": headers,
            "body": {"string": text},
        },
    }


def mute(
    source: str, status: int = 200, body: object = None, headers: Any = None
) -> dict[str, Any]:
    return interaction(
        "POST",
        f"/2/users/{source}/muting",
        status,
        body or {"data": {"muting": True}},
        headers or MUTE_HEADERS,
        {"target_user_id": "783214"},
    )


def unmute(status: int = 200) -> dict[str, Any]:
    return interaction(
        "DELETE",
        f"/2/users/{ALICE}/muting/783214",
        status,
        {"data": {"muting": False}},
        MUTE_HEADERS,
    )


def by_id(status: int = 200, body: object = None, headers: Any = None) -> dict[str, Any]:
    return interaction(
        "GET", "/2/users/783214" + LOOKUP_QUERY, status, body or TWITTER, headers or LOOKUP_HEADERS
    )


def by_name(name: str = "Twitter", body: object = None) -> dict[str, Any]:
    return interaction(
        "GET", f"/2/users/by/username/{name}" + LOOKUP_QUERY, 200, body or TWITTER, LOOKUP_HEADERS
    )


def me(user_id: str = BOB) -> dict[str, Any]:
    body = {"data": {"id": user_id, "name": "Tweepy Testing", "username": "TweepyDev"}}
    return interaction("GET", "/2/users/me", 200, body, ME_HEADERS)


FOLLOWED = recorded("test_client_follow_and_unfollow_user", 0)
UNFOLLOWED = recorded("test_client_follow_and_unfollow_user", 1)


def follow() -> dict[str, Any]:
    """POST /2/users/:id/following as tweepy's recording answered it (headers and body)."""
    return interaction(
        "POST",
        f"/2/users/{ALICE}/following",
        200,
        FOLLOWED["body"],
        FOLLOWED["headers"],
        {"target_user_id": "783214"},
    )


def unfollow() -> dict[str, Any]:
    return interaction(
        "DELETE",
        f"/2/users/{ALICE}/following/783214",
        200,
        UNFOLLOWED["body"],
        UNFOLLOWED["headers"],
    )


def relation_by_name(links: list[str]) -> dict[str, Any]:
    """friendships/show's lookup of its target: only `connection_status` asked for."""
    data = {k: TWITTER["data"][k] for k in ("id", "name", "username")}
    return interaction(
        "GET",
        "/2/users/by/username/Twitter?user.fields=connection_status",
        200,
        {"data": {**data, "connection_status": links}},
        LOOKUP_HEADERS,
    )


MUTING = recorded("test_client_mute_get_muted_and_unmute", 1)
USERS_HEADERS = recorded("test_client_get_users", 0)["headers"]
NOBODY = {**NOT_FOUND, "errors": [{**NOT_FOUND["errors"][0], "parameter": "usernames"}]}


def users_by(names: str, query: str, body: object) -> dict[str, Any]:
    """/2/users/by?usernames=, as tweepy's recording answered it (headers)."""
    return interaction("GET", f"/2/users/by?usernames={names}&{query}", 200, body, USERS_HEADERS)


def verified() -> dict[str, Any]:
    """/2/users/me with the user fields, for a caller who is @Twitter: the one user the reference
    re-expresses in v2's shape."""
    body = {**TWITTER, "data": {**TWITTER["data"], "id": ALICE}}
    return interaction("GET", "/2/users/me" + LOOKUP_QUERY, 200, body, ME_HEADERS)


def muting_page(query: str, body: object) -> dict[str, Any]:
    return interaction("GET", f"/2/users/{ALICE}/muting?{query}", 200, body, MUTING["headers"])


FOLLOWING = recorded("test_client_get_users_following", 0)
FOLLOWERS = recorded("test_client_get_users_followers", 0)
TWEETS_HEADERS = recorded("test_client_get_tweets", 0)["headers"]
TWEET_QUERY = urlencode((("tweet.fields", TWEET_FIELDS),))


def recent_tweets() -> dict[str, Any]:
    """@Twitter's most recent tweet looked up for a user list's `status`, with the headers of
    tweepy's real /2/tweets recording."""
    (tweet,) = TWITTER["includes"]["tweets"]
    query = f"ids={tweet['id']}&{TWEET_QUERY}"
    return interaction("GET", f"/2/tweets?{query}", 200, {"data": [tweet]}, TWEETS_HEADERS)


SEARCH_HEADERS = recorded("test_client_search_recent_tweets", 0)["headers"]


def recent_search(query: str) -> dict[str, Any]:
    """A v2 recent search finding @Twitter's most recent tweet, with the headers of tweepy's
    real /2/tweets/search/recent recording (its body holds only ids and texts)."""
    (tweet,) = TWITTER["includes"]["tweets"]
    found = {"data": [{**tweet, "author_id": TWITTER["data"]["id"]}]}
    body = found | {"includes": {"users": [TWITTER["data"]]}, "meta": {"result_count": 1}}
    params = urlencode((("query", query), ("max_results", "15"), *tweet_params()))
    return interaction("GET", f"/2/tweets/search/recent?{params}", 200, body, SEARCH_HEADERS)


def graph_page(listed: str, query: str, recording: dict[str, Any]) -> dict[str, Any]:
    """@Twitter's following or followers page as tweepy recorded it (2021), body and headers."""
    path = f"/2/users/783214/{listed}?{query}"
    return interaction("GET", path, 200, recording["body"], recording["headers"])


def verify_credentials() -> dict[str, Any]:
    """tweepy's real v1.1 verify_credentials answer (2019), for pass-through."""
    path = DATA / "reference" / "testverifycredentials.json"
    response = json.loads(path.read_text())["interactions"][0]["response"]
    return interaction(
        "GET",
        "/1.1/account/verify_credentials.json",
        200,
        response["body"]["string"],
        response["headers"],
    )


WRITES = json.loads((DATA / "reference" / "tweet_writes.json").read_text())
CREATED = WRITES["v2"]["create"]["body"]["data"]


def v2_write(name: str, method: str, path: str, sent: dict[str, str] | None = None) -> Any:
    """One of v2's real Tweet write answers (tweepy, 2021), its body and headers."""
    answer = WRITES["v2"][name]
    headers = {key: [value] for key, value in answer["headers"].items()}
    return interaction(method, path, answer["status"], answer["body"], headers, sent)


def tweet_read(v11: dict[str, Any]) -> dict[str, Any]:
    """A Tweet read with the shim's fields: a recorded v1.1 Tweet re-expressed in v2's shape
    (tests/v2_shapes.py; the reference has no v2 Tweet with them), with the headers of tweepy's
    real /2/tweets recording."""
    path = f"/2/tweets/{v11['id_str']}?{urlencode(tweet_params())}"
    return interaction("GET", path, 200, v2_answer(v11), TWEETS_HEADERS)


# The Tweet v2's real create answer named, read back: the recorded v1.1 update answer with the
# id and text v2 gave.
POSTED = WRITES["v11"]["update"]["body"] | {"id": int(CREATED["id"]), "id_str": CREATED["id"]}
POSTED["text"] = CREATED["text"]
LIKED = WRITES["v11"]["favorites/create"]["body"]

CASSETTES = {
    "mutes_create_by_user_id": [mute(ALICE), by_id()],
    "mutes_create_by_screen_name": [by_name(), mute(ALICE)],
    "mutes_destroy_by_user_id": [by_id(body=MUTED_TWITTER), unmute()],
    "mutes_destroy_by_screen_name": [by_name(body=MUTED_TWITTER), unmute()],
    "mutes_create_token_without_user_id": [me(), mute(BOB), by_id()],
    "mutes_create_unknown_screen_name": [by_name("nobody", NOT_FOUND)],
    "mutes_create_oauth2_user_token": [me(CAROL), mute(CAROL), by_id()],
    "mutes_ids": [muting_page("max_results=1000", MUTING["body"])],
    "mutes_list": [
        muting_page(
            "max_results=20&" + urlencode(lookup_params(with_status=False)),
            {"data": [TWITTER["data"]], "meta": {"result_count": 1}},
        ),
        recent_tweets(),
    ],
    "friends_ids_of_a_user": [graph_page("following", "max_results=1000", FOLLOWING)],
    "followers_ids_first_page": [graph_page("followers", "max_results=100", FOLLOWERS)],
    "passthrough_verify_credentials": [verify_credentials()],
    "search_tweets": [recent_search("solid -is:retweet")],
    "verify_credentials": [verified()],
    "users_show_by_id": [by_id()],
    "users_lookup_by_screen_name": [
        users_by(
            "Twitter%2Cnobody",
            LOOKUP_QUERY.removeprefix("?"),
            {**NOBODY, "data": [TWITTER["data"]], "includes": TWITTER["includes"]},
        )
    ],
    "friendships_lookup": [
        users_by(
            "Twitter",
            "user.fields=connection_status",
            {"data": [{**MUTED_TWITTER["data"], "connection_status": ["following", "muting"]}]},
        )
    ],
    "friendships_create_by_screen_name": [by_name(), follow()],
    "friendships_destroy_by_user_id": [unfollow(), by_id()],
    "friendships_show": [relation_by_name([]), me(ALICE)],
    "mutes_create_revoked_token": [
        mute(ALICE, 401, UNAUTHORIZED, PROBLEM),
        by_id(401, UNAUTHORIZED, PROBLEM),
    ],
    "mutes_create_app_not_in_project": [
        mute(ALICE, 403, NOT_ENROLLED, PROBLEM),
        by_id(403, NOT_ENROLLED, PROBLEM),
    ],
    "mutes_create_rate_limited": [mute(ALICE, 429, TOO_MANY, LIMITED), by_id()],
    # The reference holds no real v2 5xx body; these are plain HTML error pages.
    # A persistent outage: the shim tries each call up to three times (the breaker may stop it
    # sooner, so the replay does not require every interaction to be played).
    "mutes_create_over_capacity": [
        *[mute(ALICE, 503, "<html><body>Over capacity</body></html>", HTML)] * 3,
        *[by_id(503, "<html><body>Over capacity</body></html>", HTML)] * 3,
    ],
    "mutes_create_recovers_after_503": [
        mute(ALICE, 503, "<html><body>Over capacity</body></html>", HTML),
        mute(ALICE),
        by_id(),
    ],
    "statuses_update": [
        v2_write("create", "POST", "/2/tweets", {"text": CREATED["text"]}),
        tweet_read(POSTED),
    ],
    "favorites_create": [
        v2_write("like", "POST", f"/2/users/{ALICE}/likes", {"tweet_id": LIKED["id_str"]}),
        tweet_read(LIKED),
    ],
    "mutes_create_internal_error": [
        mute(ALICE, 500, "<html><body>Internal Server Error</body></html>", HTML),
        by_id(),
    ],
}


def main() -> None:
    for name, interactions in CASSETTES.items():
        text = yaml.safe_dump(
            {"interactions": interactions, "version": 1},
            sort_keys=False,
            allow_unicode=True,
            width=100,
        )
        (ROOT / "cassettes" / f"{name}.yaml").write_text(text)
        print(f"cassettes/{name}.yaml")


if __name__ == "__main__":
    main()
