"""A legacy client's session, run in a child process: `python -m tests.e2e.legacy CLIENT [BASE]`.

A child because the client needs what the test process must not have: python-twitter shares the
import name `twitter` with Python Twitter Tools, tweepy 3 `tweepy` with tweepy 4, and a client with
a hard-coded host runs in its own mount namespace with its own /etc/hosts. Each client mutes and
unmutes @Twitter, meets 272 and the unknown-user error, reads every page of its mutes, verifies its
credentials and makes a passed-through call; then it does what two real mute tools do: mute
everyone it follows that it has not muted yet, and everyone it blocks. The session prints what the
client saw as one JSON object, which the test checks."""

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes import ALICE, CONSUMER_KEY, CONSUMER_SECRET


@dataclass(frozen=True)
class Client:
    mute: Callable[..., dict[str, Any]]  # user_id= or screen_name= → the user answered
    unmute: Callable[..., dict[str, Any]]
    muted: Callable[[], list[str]]  # every page of mutes/users/list: the ids
    me: Callable[[], str]  # verify_credentials: the caller's screen name
    passed: Callable[[], str]  # a call the shim passes through: the path the upstream saw
    ids: Callable[[str], list[str]]  # every page of friends/ids, blocks/ids or mutes/users/ids
    error: type[Exception]
    seen: Callable[[Any], dict[str, Any]]  # what the client tells of an error
    # A tweet deleter's read: every page of the caller's timeline by max_id, the ids.
    timeline: Callable[[], list[str]] | None = None


def session(client: Client) -> dict[str, Any]:
    def refusal(call: Callable[[], object]) -> dict[str, Any]:
        try:
            call()
        except client.error as error:
            return client.seen(error)
        raise AssertionError("the call succeeded")

    return {
        "muted": client.mute(user_id="783214"),
        "unmuted": client.unmute(screen_name="Twitter"),
        "not_muting": refusal(lambda: client.unmute(user_id="783214")),
        "unknown": refusal(lambda: client.mute(screen_name="nobody")),
        "listed": client.muted(),
        "me": client.me(),
        "passed": client.passed(),
        "tool": mute_tools(client),
        "timeline": client.timeline() if client.timeline else None,
    }


def mute_tools(client: Client) -> dict[str, list[str]]:
    """A mute tool's job: read whom the caller follows, less whom it mutes, and mute the rest;
    another's: mute everyone the caller blocks. The ids each read, and those it muted."""
    friends, blocked = client.ids("friends"), client.ids("blocks")
    muted = set(client.ids("mutes"))
    todo = [user_id for user_id in [*friends, *blocked] if user_id not in muted]
    for user_id in dict.fromkeys(todo):
        client.mute(user_id=user_id)
    return {"friends": friends, "blocked": blocked, "muted": list(dict.fromkeys(todo))}


def python_twitter(base_url: str) -> Client:
    import twitter  # python-twitter, from the folder scripts/install puts it in

    api = twitter.Api(CONSUMER_KEY, CONSUMER_SECRET, ALICE.token, ALICE.secret, base_url=base_url)

    def user(answer: Any) -> dict[str, Any]:
        return {"id_str": answer.id_str, "screen_name": answer.screen_name}

    return Client(
        mute=lambda **target: user(api.CreateMute(**target)),
        unmute=lambda **target: user(api.DestroyMute(**target)),
        muted=lambda: [user.id_str for user in api.GetMutes(skip_status=True)],
        me=lambda: api.VerifyCredentials().screen_name,
        passed=lambda: api.GetHelpConfiguration()["path"],
        ids=lambda kind: [
            str(i)
            for i in {
                "friends": api.GetFriendIDs,
                "blocks": api.GetBlocksIDs,
                "mutes": api.GetMutesIDs,
            }[kind]()
        ],
        error=twitter.TwitterError,
        # python-twitter keeps v1.1's error list and drops the HTTP status.
        seen=lambda error: error.message[0],
        timeline=lambda: paged(lambda max_id: api.GetUserTimeline(count=20, max_id=max_id)),
    )


def paged(page: Callable[[int | None], list[Any]]) -> list[str]:
    """Every Tweet of a timeline, a page at a time, each next page below the oldest seen."""
    ids: list[str] = []
    max_id = None
    while found := page(max_id):
        ids += [str(status.id) for status in found]
        max_id = found[-1].id - 1
    return ids


def twython(api_url: str | None = None) -> Client:
    """twython as installed, or pointed at `api_url` as docs/clients.md's table says."""
    from twython import Twython, TwythonError

    client = Twython(CONSUMER_KEY, CONSUMER_SECRET, ALICE.token, ALICE.secret)
    if api_url:
        client.api_url = api_url

    def muted() -> list[str]:
        ids: list[str] = []
        cursor = -1
        while cursor:
            page = client.list_mutes(cursor=cursor, skip_status=True)
            ids += [user["id_str"] for user in page["users"]]
            cursor = page["next_cursor"]
        return ids

    def user(answer: dict[str, Any]) -> dict[str, Any]:
        return {"id_str": answer["id_str"], "screen_name": answer["screen_name"]}

    def ids(kind: str) -> list[str]:
        read = {
            "friends": client.get_friends_ids,
            "blocks": client.list_block_ids,
            "mutes": client.list_mute_ids,
        }[kind]
        return [str(i) for i in client.cursor(read, return_pages=False)]

    return Client(
        mute=lambda **target: user(client.create_mute(**target)),
        unmute=lambda **target: user(client.destroy_mute(**target)),
        muted=muted,
        me=lambda: client.verify_credentials()["screen_name"],
        passed=lambda: client.get("help/configuration")["path"],
        ids=ids,
        error=TwythonError,
        # twython keeps the HTTP status and the first error's message, not its code.
        seen=lambda error: {"status": error.error_code, "message": str(error)},
    )


def python_twitter_follows(base_url: str) -> dict[str, Any]:
    """python-twitter's follow, relationship and unfollow calls, and what it saw of them."""
    import twitter  # python-twitter, from the folder scripts/install puts it in

    api = twitter.Api(CONSUMER_KEY, CONSUMER_SECRET, ALICE.token, ALICE.secret, base_url=base_url)
    followed = api.CreateFriendship(screen_name="Twitter")
    shown = api.ShowFriendship(source_user_id=ALICE.user_id, target_screen_name="Twitter")
    unfollowed = api.DestroyFriendship(user_id=783214)
    try:
        api.CreateFriendship(user_id=int(ALICE.user_id))
        yourself: Any = None
    except twitter.TwitterError as error:
        yourself = error.message[0]
    return {
        "followed": [followed.screen_name, followed.following],
        "shown": shown["relationship"],
        "unfollowed": [unfollowed.screen_name, unfollowed.following],
        "yourself": yourself,
    }


def python_twitter_tweets(base_url: str) -> dict[str, Any]:
    """python-twitter's post and delete, a duplicate post refused, and what it saw of them."""
    import twitter  # python-twitter, from the folder scripts/install puts it in

    api = twitter.Api(CONSUMER_KEY, CONSUMER_SECRET, ALICE.token, ALICE.secret, base_url=base_url)
    posted = api.PostUpdate("a line from python-twitter")
    try:
        api.PostUpdate("a line from python-twitter")
        again: Any = None
    except twitter.TwitterError as error:
        again = error.message[0]
    deleted = api.DestroyStatus(posted.id)
    return {
        "posted": [posted.id_str, posted.text, posted.user.id_str, posted.created_at],
        "again": again,
        "deleted": [deleted.id_str, deleted.text],
    }


def python_twitter_search(base_url: str) -> dict[str, Any]:
    """python-twitter's GetSearch both ways its users call it: a `term`, and a `raw_query` (the
    query string as the user wrote it, as its documentation shows), and a query v2 cannot say."""
    import twitter  # python-twitter, from the folder scripts/install puts it in

    api = twitter.Api(CONSUMER_KEY, CONSUMER_SECRET, ALICE.token, ALICE.secret, base_url=base_url)
    term = api.GetSearch(term="giveaway -filter:retweets", count=10, result_type="recent")
    raw = api.GetSearch(raw_query="q=giveaway%20OR%20contest%20number&count=5&since=2014-07-19")
    try:
        api.GetSearch(term="giveaway :)")
        refused: Any = None
    except twitter.TwitterError as error:
        refused = error.message[0]
    return {
        "term": [[s.id_str, s.user.screen_name] for s in term],
        "raw": [s.id_str for s in raw],
        "refused": refused,
    }


def tweepy3(host: str) -> tuple[Client, Callable[[], dict[str, Any]]]:
    """tweepy 3.10, as apps written for it call it: the target positionally, which tweepy 3
    sends as `id` (its `allowed_param` lists `id` first), an id or a screen name as v1 took it.
    Also what its apps call before their first real one: `rate_limit_status`."""
    import tweepy  # tweepy 3.x, from the folder scripts/install puts it in

    auth = tweepy.OAuthHandler(CONSUMER_KEY, CONSUMER_SECRET)
    auth.set_access_token(ALICE.token, ALICE.secret)
    api = tweepy.API(auth, host=host)

    def user(answer: Any) -> dict[str, Any]:
        return {"id_str": answer.id_str, "screen_name": answer.screen_name}

    def as_id(**target: str) -> str:
        (value,) = target.values()
        return value

    client = Client(
        mute=lambda **target: user(api.create_mute(as_id(**target))),
        unmute=lambda **target: user(api.destroy_mute(as_id(**target))),
        muted=lambda: [u.id_str for u in tweepy.Cursor(api.mutes, skip_status=True).items()],
        me=lambda: api.verify_credentials().screen_name,
        passed=lambda: api.configuration()["path"],
        ids=lambda kind: [
            str(i)
            for i in tweepy.Cursor(
                {"friends": api.friends_ids, "blocks": api.blocks_ids, "mutes": api.mutes_ids}[kind]
            ).items()
        ],
        error=tweepy.TweepError,
        # tweepy 3 keeps the HTTP status and the first error's code.
        seen=lambda error: {"status": error.response.status_code, "code": error.api_code},
    )
    return client, lambda: api.rate_limit_status(resources="mutes,account")


if __name__ == "__main__":
    name, *arguments = sys.argv[1:]
    if name == "python-twitter-search":
        print(json.dumps(python_twitter_search(*arguments)))
    elif name == "python-twitter-follows":
        print(json.dumps(python_twitter_follows(*arguments)))
    elif name == "python-twitter-tweets":
        print(json.dumps(python_twitter_tweets(*arguments)))
    elif name == "tweepy3":
        client, limits = tweepy3(*arguments)
        first = limits()  # as its apps start: before their first real call
        print(json.dumps(session(client) | {"limits": first, "limits_after": limits()}))
    else:
        client = python_twitter(*arguments) if name == "python-twitter" else twython()
        print(json.dumps(session(client)))
