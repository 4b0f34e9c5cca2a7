"""A stand-in for API v2 and the credentials tests use. Every credential here is fake."""

import asyncio
import html
import json
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx2
from oauthlib.oauth1 import Client
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header

from tests.fake_media import FakeMedia
from tests.fake_timelines import LEAST, V11_TIMELINES, page, selected, v11_timeline
from tests.servers import read_body, serving

DATA = Path(__file__).parent / "data"

CONSUMER_KEY = "fakeconsumerkey0000000000"
CONSUMER_SECRET = "fake-consumer-secret-not-real"


@dataclass(frozen=True)
class Token:
    token: str
    secret: str
    user_id: str


# A token carrying its user id, as Twitter's do, and one that does not (the shim asks /2/users/me).
ALICE = Token(
    "1500000000000000001-" + "fake" * 10, "fake-token-secret-alice", "1500000000000000001"
)
BOB = Token("faketokenwithoutuserid" + "x" * 18, "fake-token-secret-bob", "1500000000000000002")
# An OAuth 2.0 user token: no secret, no id in it. And an app-only one, which names no user.
CAROL = Token("fake-oauth2-user-token-carol", "", "1500000000000000003")
APP_ONLY = "AAAAAAAAAAAAAAAAAAAAAFAKEappOnlyToken%3Dfake"
# Signing in: the request token the fake upstream issues, the PIN the user would type, and the
# access token it grants in exchange.
REQUEST_TOKEN = Token("fakerequesttoken0000000000001", "fake-request-token-secret", "")
VERIFIER = "1234567"
DAVE = Token("1500000000000000004-" + "dave" * 10, "fake-token-secret-dave", "1500000000000000004")
# The @Twitter account's own token: the one caller whose v1.1 user object the reference has.
OWNER = Token("783214-" + "fake" * 10, "fake-token-secret-owner", "783214")


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def twitter_user() -> dict[str, Any]:
    """@Twitter as the v2 user lookup the shim asks for (tests/data/README.md)."""
    return load("twitter_v2_user.json")  # type: ignore[no-any-return]


def minimal_user(user_id: str, username: str) -> dict[str, Any]:
    """A v2 user with only what v2 always returns plus created_at."""
    return {
        "data": {
            "id": user_id,
            "name": username,
            "username": username,
            "created_at": "2020-01-01T00:00:00.000Z",
        }
    }


def not_found(parameter: str, value: str) -> dict[str, str]:
    """v2's error entry for a user it could not find (reference README)."""
    return {
        "value": value,
        "detail": f"Could not find user with {parameter}: [{value}].",
        "title": "Not Found Error",
        "resource_type": "user",
        "parameter": parameter,
        "resource_id": value,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }


def concrete(path: str) -> str:
    """A route's path as a client sends it: an id where the path takes one (`{id}`)."""
    return path.replace("{id}", "20")


def tweet_missing(tweet_id: str) -> dict[str, str]:
    """v2's error entry for a tweet it could not find (the user one's shape, api-facts 2.5)."""
    return {
        "value": tweet_id,
        "detail": f"Could not find tweet with id: [{tweet_id}].",
        "title": "Not Found Error",
        "resource_type": "tweet",
        "parameter": "id",
        "resource_id": tweet_id,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }


def rate_limits(limit: int, remaining: int, reset: int) -> dict[str, str]:
    names = ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset")
    return dict(zip(names, map(str, (limit, remaining, reset)), strict=True))


V2_JSON = "application/json; charset=utf-8"  # v2's spelling, with a space (reference README)


def v2_response(status: int, body: object, **headers: str) -> httpx2.Response:
    content = json.dumps(body).encode()
    return httpx2.Response(status, content=content, headers={"content-type": V2_JSON, **headers})


ERRORS = load("v2_errors.json")  # real v2 error bodies from the reference
# v1.1's own answer for @Twitter: the real blocks/create recording, the same user object.
V11_TWITTER = load("reference/testcreatedestroyblock.decoded.json")["interactions"][0]["response"][
    "body"
]
# v1.1 as its reads answered: @Twitter without the `muting` key its reads never had (2019
# users/lookup recording), and verify_credentials' two keys of its own (tweepy's recording).
V11_READ_TWITTER = {k: v for k, v in V11_TWITTER.items() if k != "muting"}
V11_VERIFY_EXTRA = {"suspended": False, "needs_phone_verification": False}
# v1.1's id lists of the caller by path: the relation each lists, and its one page as the real
# blocks/ids and friends/ids answered (2019, 2021), whose total_count was null; mutes/users/ids
# had none.
BLOCKED_IDS = load("reference/testblocksids.decoded.json")["interactions"][0]["response"]["body"]
MUTED_IDS = {k: v for k, v in BLOCKED_IDS.items() if k != "total_count"}
V11_IDS = {
    "mutes/users/ids.json": ("muting", MUTED_IDS),
    "blocks/ids.json": ("blocking", BLOCKED_IDS),
    "friends/ids.json": ("following", BLOCKED_IDS),
    "followers/ids.json": ("followers", BLOCKED_IDS),
}
# v1.1's user lists of the caller by path: the relation each lists; pages as friends/list's
# real one (2021), total_count null, but for mute lists, which had none.
V11_LISTS = {
    "friends/list.json": "following",
    "followers/list.json": "followers",
    "blocks/list.json": "blocking",
    "mutes/users/list.json": "muting",
}
NOT_AUTHORIZED = {
    "title": "Authorization Error",
    "type": "https://api.twitter.com/2/problems/not-authorized-for-resource",
}
# v1.1's friendships/show as recorded (tweepy, 2019): @TweepyDev's relationship to @Twitter.
V11_FRIENDSHIP = load("reference/testgetfriendship.decoded.json")["interactions"][0]["response"][
    "body"
]


class FakeV2:
    """Answers v2 user lookups and the calls that make, undo and list a relation (`related`:
    the (source, target) pairs of each), after checking each call's OAuth 1.0a signature.

    `calls` records every request it received, so "no upstream call" is `fake.calls == []`.
    `canned[(method, path)]` overrides the answer: a response to return or an exception to raise.
    """

    def __init__(
        self,
        *users: dict[str, Any],
        tokens: tuple[Token, ...] = (ALICE, BOB, OWNER),
        bearers: tuple[Token, ...] = (CAROL,),
    ) -> None:
        self.users = {u["data"]["id"]: u for u in users}
        self.tokens = {t.token: t for t in tokens}
        self.bearers = {t.token: t for t in bearers}
        self.calls: list[httpx2.Request] = []
        self.muted: set[tuple[str, str]] = set()
        # Every caller follows the users whose body says the caller does (@Twitter's does).
        following = {
            (token.user_id, user_id)
            for user_id, user in self.users.items()
            if "following" in user["data"].get("connection_status", [])
            for token in (*tokens, *bearers)
        }
        self.related = {"following": set(following), "muting": self.muted, "blocking": set()}
        self.seeded = frozenset(following)
        # Follows of a protected account waiting for its approval, by (source, target).
        self.requested: set[tuple[str, str]] = set()
        self.canned: dict[tuple[str, str], httpx2.Response | Exception] = {}
        # The tweets v2 knows, by id: its users' most recent ones, each by its user.
        self.statuses: dict[str, dict[str, Any]] = {
            tweet["id"]: {"author_id": user_id, **tweet}
            for user_id, user in self.users.items()
            for tweet in user.get("includes", {}).get("tweets", [])
        }
        self.seeded_statuses = deepcopy(self.statuses)
        # Who likes which Tweet, by (user, tweet), in the order liked (liked Tweets are listed
        # latest first); a Tweet's retweets are Tweets in `statuses`.
        self.likes: dict[tuple[str, str], None] = {}
        self.posted = 0  # Tweets posted through it, each a new id after its users' own
        # The media and places its Tweets name, by media key and place id.
        self.media: dict[str, dict[str, Any]] = {}
        self.places: dict[str, dict[str, Any]] = {}
        self.v11_answers = 0
        self.uploads = FakeMedia()  # v2's media endpoints (tests/fake_media.py)
        self.delay = 0.0  # seconds the socket-served fake waits before answering

    def forget(self) -> None:
        """Back to how it started: no calls seen, no relations but the seeded follows, no
        Tweets but its users' own."""
        self.calls.clear()
        self.canned.clear()
        self.muted.clear()
        self.related["blocking"].clear()
        self.related["following"] = set(self.seeded)
        self.requested.clear()
        self.likes.clear()
        self.statuses = deepcopy(self.seeded_statuses)
        self.uploads.forget()

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.calls.append(request)
        canned = self.canned.get((request.method, request.url.path))
        if isinstance(canned, Exception):
            raise canned
        if canned is not None:
            return canned
        if request.url.path in ("/oauth/request_token", "/oauth/access_token"):
            return self.sign_in(request)
        token = self.signer(request)
        if token is None:
            return v2_response(401, ERRORS["unauthorized"])
        return self.route(request, token)

    def signer(self, request: httpx2.Request) -> Token | None:
        """The token whose credentials signed the request, if the signature checks out."""
        header = request.headers.get("authorization", "")
        if header.startswith("Bearer "):
            return self.bearers.get(header.removeprefix("Bearer "))
        try:
            params = dict(parse_authorization_header(header))
        except ValueError:
            return None
        token = self.tokens.get(params.get("oauth_token", ""))
        if token is None or params.get("oauth_consumer_key") != CONSUMER_KEY:
            return None
        return token if self.signed_by(request, params, token) else None

    def signed_by(
        self, request: httpx2.Request, params: dict[str, str], token: Token | None
    ) -> bool:
        """Whether the request's signature is the one these credentials make."""
        client = Client(
            CONSUMER_KEY,
            client_secret=CONSUMER_SECRET,
            resource_owner_key=token.token if token else None,
            resource_owner_secret=token.secret if token else None,
            callback_uri=params.get("oauth_callback"),
            verifier=params.get("oauth_verifier"),
            nonce=params["oauth_nonce"],
            timestamp=params["oauth_timestamp"],
        )
        form = request.headers.get("content-type", "").startswith("application/x-www-form")
        body = request.content.decode() if form and request.content else None
        headers = {"Content-Type": request.headers["content-type"]} if body else {}
        _, signed, _ = client.sign(str(request.url), request.method, body, headers)
        expected = dict(parse_authorization_header(signed["Authorization"]))["oauth_signature"]
        return bool(expected == params["oauth_signature"])

    def sign_in(self, request: httpx2.Request) -> httpx2.Response:
        """oauth/request_token, then oauth/access_token with the verifier the user got."""
        params = dict(parse_authorization_header(request.headers.get("authorization", "")))
        if request.url.path == "/oauth/request_token":
            if "oauth_callback" in params and self.signed_by(request, params, None):
                return self.granted(REQUEST_TOKEN, oauth_callback_confirmed="true")
        elif (
            params.get("oauth_token") == REQUEST_TOKEN.token
            and params.get("oauth_verifier") == VERIFIER
            and self.signed_by(request, params, REQUEST_TOKEN)
        ):
            self.tokens[DAVE.token] = DAVE
            return self.granted(DAVE, user_id=DAVE.user_id, screen_name="dave")
        return httpx2.Response(
            401, json={"errors": [{"code": 32, "message": "Could not authenticate you."}]}
        )

    def granted(self, token: Token, **extra: str) -> httpx2.Response:
        form = {"oauth_token": token.token, "oauth_token_secret": token.secret, **extra}
        return httpx2.Response(
            200,
            headers={"content-type": "text/html; charset=utf-8"},
            content=str(httpx2.QueryParams(form)).encode(),
        )

    def route(self, request: httpx2.Request, token: Token) -> httpx2.Response:
        parts = request.url.path.strip("/").split("/")
        match request.method, parts:
            case _, ["2", "media", *rest]:
                return self.uploads(request, rest)
            case "GET", ["2", "users", "me"]:
                me = self.users.get(token.user_id, minimal_user(token.user_id, "me"))
                return v2_response(200, me, **{"x-rate-limit-limit": "75"})
            case "GET", ["2", "users"]:
                wanted = request.url.params.get("ids", "").split(",")
                return self.found_many(token, wanted, lambda u: u["id"], "ids")
            case "GET", ["2", "users", "by"]:
                wanted = request.url.params.get("usernames", "").split(",")
                return self.found_many(token, wanted, lambda u: u["username"].lower(), "usernames")
            case "GET", ["2", "users", "by", "username", name]:
                found = [
                    u for u in self.users.values() if u["data"]["username"].lower() == name.lower()
                ]
                return self.found(token, found, "username", name)
            case "GET", ["2", "users", user_id]:
                found = [self.users[user_id]] if user_id in self.users else []
                return self.found(token, found, "id", user_id)
            case "GET", ["2", "users", owner, ("following" | "followers") as listed]:
                return self.graph(token, owner, listed, request.url.params)
            case "GET", ["2", "tweets"]:
                return self.tweets(request.url.params.get("ids", "").split(","))
            case "GET", ["2", "tweets", "search", "recent"]:
                return self.search(request.url.params)
            case "GET", ["2", "tweets", tweet_id]:
                return self.tweet(tweet_id)
            case "POST", ["2", "tweets"]:
                return self.post_tweet(token, json.loads(request.content))
            case "DELETE", ["2", "tweets", tweet_id]:
                return self.delete_tweet(token, tweet_id)
            case "GET", ["2", "users", owner, *kind] if "/".join(kind) in LEAST:
                return self.timeline(token, owner, "/".join(kind), request.url.params)
            case (("POST" | "DELETE"), ["2", "users", token.user_id, ("likes" | "retweets"), *end]):
                return self.react(request, token, parts[3], end)
            case ("POST" | "DELETE") as method, ["2", "users", token.user_id, "following", *end]:
                return self.follow(request, token, method == "POST", end)
            case _, ["2", "users", token.user_id, _, *_]:
                return self.relate(request, token, parts)
            case "POST", ["1.1", "friendships", ("create.json" | "destroy.json") as action]:
                return self.v11_follow(request, token, action == "create.json")
            case "GET", ["1.1", "friendships", "show.json"]:
                return self.v11_friendship(request, token)
            case "POST", ["1.1", "mutes", "users", ("create.json" | "destroy.json") as action]:
                return self.v11_mute(request, token, action == "create.json")
            case "GET", ["1.1", *path] if "/".join(path) in V11_IDS:
                kept, page = V11_IDS["/".join(path)]
                ids = [int(t) for t in self.members(token.user_id, kept)]
                return self.v11_json(200, page | {"ids": ids})
            case "GET", ["1.1", *path] if "/".join(path) in V11_LISTS:
                return self.v11_users_list(token, V11_LISTS["/".join(path)])
            case "GET", ["1.1", *path] if "/".join(path) in V11_TIMELINES:
                user = {k: v for k, v in self.v11_user().items() if k != "status"}
                return self.v11_json(200, v11_timeline("/".join(path), user))
            case "GET", ["1.1", "statuses", *shown] if shown in (
                ["show.json"],
                ["lookup.json"],
            ) or (len(shown) == 2 and shown[0] == "show"):
                return self.v11_tweets(request, shown)
            case "GET", ["1.1", "users", "show.json"]:
                return self.v11_show(request)
            case _, ["1.1", ("users" | "friendships") as kind, "lookup.json"]:
                return self.v11_lookup(request, token, kind == "friendships")
            case "GET", ["1.1", "account", "verify_credentials.json"] if token.user_id == "783214":
                return self.v11_json(200, self.v11_user() | V11_VERIFY_EXTRA)
            case _, ["1.1", *_]:
                return self.v11(request)
        return v2_response(403, ERRORS["forbidden"])

    def seen_by(self, token: Token, user: dict[str, Any]) -> dict[str, Any]:
        """A copy of a v2 user body whose connection_status is this caller's relationships to
        the user, those the fake keeps among them."""
        user = deepcopy(user)
        pair = (token.user_id, user["data"]["id"])
        links = user["data"].get("connection_status", [])
        kept = (*self.related, "follow_request_sent")
        links = [link for link in links if link not in kept]
        links += [name for name, pairs in self.related.items() if pair in pairs]
        links += ["follow_request_sent"] if pair in self.requested else []
        user["data"]["connection_status"] = links
        return user

    def following(self, source: str, target: str) -> bool:
        """Whether the source follows the target, as the lookups would say."""
        return (source, target) in self.related["following"]

    def follow(
        self, request: httpx2.Request, token: Token, make: bool, end: list[str]
    ) -> httpx2.Response:
        """POST /2/users/:id/following (a protected account's follow is pending) and DELETE
        /2/users/:id/following/:target_user_id, as v2 answers them (tweepy's recording)."""
        if make and not end:
            target = json.loads(request.content)["target_user_id"]
            user = self.users.get(target, minimal_user(target, f"user{target}"))
            protected = bool(user["data"].get("protected"))
            (self.requested if protected else self.related["following"]).add(
                (token.user_id, target)
            )
            body = {"following": not protected, "pending_follow": protected}
        elif not make and len(end) == 1:
            self.related["following"].discard((token.user_id, end[0]))
            self.requested.discard((token.user_id, end[0]))
            body = {"following": False}
        else:
            return v2_response(403, ERRORS["forbidden"])
        return v2_response(200, {"data": body}, **rate_limits(50, 49, 1635149255))

    def found(
        self, token: Token, users: list[dict[str, Any]], parameter: str, value: str
    ) -> httpx2.Response:
        if users:
            return v2_response(200, self.seen_by(token, users[0]), **{"x-rate-limit-limit": "300"})
        # v2 reports a missing user as HTTP 200 with an "errors" array (reference README).
        return v2_response(200, {"errors": [not_found(parameter, value)]})

    def found_many(
        self, token: Token, wanted: list[str], key: Any, parameter: str
    ) -> httpx2.Response:
        """/2/users?ids= or /2/users/by?usernames=: the users found, v2's order, and an error
        for each one missing."""
        index = {key(u["data"]): u for u in self.users.values()}
        found = [self.seen_by(token, index[w.lower()]) for w in wanted if w.lower() in index]
        body: dict[str, Any] = {}
        if found:
            body["data"] = [user["data"] for user in found]
            tweets = [t for user in found for t in user.get("includes", {}).get("tweets", [])]
            if tweets:
                body["includes"] = {"tweets": tweets}
        missing = [not_found(parameter, w) for w in wanted if w.lower() not in index]
        if missing:
            body["errors"] = missing
        return v2_response(200, body, **{"x-rate-limit-limit": "900"})

    def members(self, source: str, relation: str) -> list[str]:
        """Whom `source` has the relation with, by id; followers are following turned around."""
        if relation == "followers":
            found = (s for s, t in self.related["following"] if t == source)
        else:
            found = (t for s, t in self.related[relation] if s == source)
        return sorted(found, key=int)

    def graph(
        self, token: Token, owner: str, relation: str, params: httpx2.QueryParams
    ) -> httpx2.Response:
        """Anyone's following or followers list; a protected user's only for those who follow
        them, as v2 answers it otherwise: 200 with an authorization error."""
        refused = self.hidden(token, owner)
        return refused if refused is not None else self.listed(token, owner, relation, params)

    def timeline(
        self, token: Token, owner: str, kind: str, params: httpx2.QueryParams
    ) -> httpx2.Response:
        """A page of a timeline computed from the Tweets the fake knows (tests/fake_timelines),
        with their authors and the Tweets they refer to; anyone's for those who may see it."""
        refused = self.hidden(token, owner)
        if refused is not None:
            return refused
        following = [t for s, t in self.related["following"] if s == owner]
        tweets = selected(kind, owner, self.statuses, following, list(self.likes))
        status, body = page(kind, tweets, dict(params))
        if "data" in body:
            body["includes"] = self.included(body["data"])
        return v2_response(status, body, **rate_limits(900, 899, 1633594302))

    def hidden(self, token: Token, owner: str) -> httpx2.Response | None:
        """v2's 200 with an error for a user not there, or protected and not followed."""
        user = self.users.get(owner)
        if user is None and owner != token.user_id:
            return v2_response(200, {"errors": [not_found("id", owner)]})
        protected = user is not None and user["data"].get("protected", False)
        if protected and owner != token.user_id and not self.following(token.user_id, owner):
            return v2_response(200, {"errors": [NOT_AUTHORIZED]})
        return None

    def tweets(self, wanted: list[str]) -> httpx2.Response:
        """/2/tweets?ids=: the tweets the fake knows (`statuses`, its users' most recent ones),
        with what they include, and an error for each one missing, as v2 answers."""
        found = [self.statuses[i] for i in wanted if i in self.statuses]
        body: dict[str, Any] = {"data": found, "includes": self.included(found)} if found else {}
        missing = [tweet_missing(i) for i in wanted if i not in self.statuses]
        if missing:
            body["errors"] = missing
        return v2_response(200, body, **rate_limits(900, 899, 1633594302))

    def tweet(self, tweet_id: str) -> httpx2.Response:
        """/2/tweets/:id: the tweet and its author, or v2's 200 with an error."""
        tweet = self.statuses.get(tweet_id)
        if tweet is None:
            return v2_response(200, {"errors": [tweet_missing(tweet_id)]})
        body = {"data": tweet, "includes": self.included([tweet])}
        return v2_response(200, body, **rate_limits(900, 899, 1633594302))

    def post_tweet(self, token: Token, body: dict[str, Any]) -> httpx2.Response:
        """POST /2/tweets: a new Tweet by the caller, 201 with its id and text, as v2 answers
        (tweepy's recording); the same text again is refused as v2 refuses it."""
        text = body.get("text", "")
        mine = [t for t in self.statuses.values() if t.get("author_id") == token.user_id]
        if text and any(t["text"] == html.escape(text, quote=False) for t in mine):
            detail = "You are not allowed to create a Tweet with duplicate content."
            refusal = {"detail": detail, "type": "about:blank", "title": "Forbidden"}
            return v2_response(403, refusal | {"status": 403})
        tweet = self.new_tweet(token.user_id, text)
        replied = body.get("reply", {}).get("in_reply_to_tweet_id")
        if replied:
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": replied}]
        data = {"id": tweet["id"], "text": tweet["text"]}
        return v2_response(201, {"data": data}, **rate_limits(200, 199, 1635976418))

    def new_tweet(self, author_id: str, text: str) -> dict[str, Any]:
        self.posted += 1
        tweet_id = str(1456012973835788293 + self.posted)
        tweet = {
            "id": tweet_id,
            "text": html.escape(text, quote=False),  # v2 escapes &, < and > in text
            "created_at": "2021-11-03T21:38:38.000Z",
            "author_id": author_id,
            "public_metrics": {"retweet_count": 0, "like_count": 0},
        }
        self.statuses[tweet_id] = tweet
        return tweet

    def delete_tweet(self, token: Token, tweet_id: str) -> httpx2.Response:
        tweet = self.statuses.get(tweet_id)
        if tweet is None or tweet.get("author_id") != token.user_id:
            return v2_response(403, ERRORS["forbidden"])
        del self.statuses[tweet_id]
        return v2_response(200, {"data": {"deleted": True}}, **rate_limits(50, 49, 1635976419))

    def react(
        self, request: httpx2.Request, token: Token, action: str, end: list[str]
    ) -> httpx2.Response:
        """Like or retweet (POST {"tweet_id"}) and undo it (DELETE …/:tweet_id), as v2
        answers: `{"data":{"liked"|"retweeted": bool}}`, a second time the same."""
        tweet_id = end[0] if end else json.loads(request.content)["tweet_id"]
        if tweet_id not in self.statuses or len(end) > 1:
            return v2_response(400, {"title": "Invalid Request", "errors": [{"message": "no"}]})
        make = request.method == "POST"
        if action == "likes":
            if make:
                self.likes.setdefault((token.user_id, tweet_id))
            else:
                self.likes.pop((token.user_id, tweet_id), None)
            return self.changed("liked", make)
        retweets = [t for t in self.statuses.values() if self.retweet_of(t, token, tweet_id)]
        if make and not retweets:
            original = self.statuses[tweet_id]
            retweet = self.new_tweet(token.user_id, f"RT: {original['text']}")
            retweet["referenced_tweets"] = [{"type": "retweeted", "id": tweet_id}]
        for retweet in [] if make else retweets:
            del self.statuses[retweet["id"]]
        return self.changed("retweeted", make)

    @staticmethod
    def retweet_of(tweet: dict[str, Any], token: Token, tweet_id: str) -> bool:
        refs = tweet.get("referenced_tweets", [])
        retweeted = {"type": "retweeted", "id": tweet_id} in refs
        return retweeted and tweet.get("author_id") == token.user_id

    def included(self, tweets: list[dict[str, Any]]) -> dict[str, Any]:
        """`includes` for Tweets: the Tweets they refer to that the fake knows, the authors and
        the users mentioned (`entities.mentions.username`), the media and places."""
        refs = [r["id"] for t in tweets for r in t.get("referenced_tweets", [])]
        referred = [self.statuses[i] for i in dict.fromkeys(refs) if i in self.statuses]
        shown = [*tweets, *referred]
        users = self.authors(shown)
        named = [m.get("id") for t in tweets for m in t.get("entities", {}).get("mentions", [])]
        users += [
            self.users[i]["data"]
            for i in dict.fromkeys(named)
            if i in self.users and self.users[i]["data"] not in users
        ]
        keys = [k for t in shown for k in t.get("attachments", {}).get("media_keys", [])]
        places = [t["geo"]["place_id"] for t in shown if "place_id" in t.get("geo", {})]
        found = {
            "users": users,
            "tweets": referred,
            "media": [self.media[k] for k in dict.fromkeys(keys) if k in self.media],
            "places": [self.places[p] for p in dict.fromkeys(places) if p in self.places],
        }
        return {kind: items for kind, items in found.items() if items or kind == "users"}

    def search(self, params: httpx2.QueryParams) -> httpx2.Response:
        """/2/tweets/search/recent over the tweets the fake knows, newest first: `query`'s terms
        all match (`matches`), between `since_id` and `until_id` (both exclusive), at most
        `max_results`, with a `next_token` while more are left."""
        terms = re.findall(r"\([^()]*\)|\S+", params.get("query", ""))
        since, until = int(params.get("since_id", 0)), int(params.get("until_id", 2**64))
        found = sorted(
            (
                t
                for t in self.statuses.values()
                if since < int(t["id"]) < until and all(self.matches(t, term) for term in terms)
            ),
            key=lambda t: -int(t["id"]),
        )
        page = found[: int(params.get("max_results", 10))]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta |= {"newest_id": page[0]["id"], "oldest_id": page[-1]["id"]}
        if len(found) > len(page):
            meta["next_token"] = f"next-{page[-1]['id']}"
        body: dict[str, Any] = {"data": page} if page else {}
        if page:
            body["includes"] = self.included(page)
        return v2_response(200, body | {"meta": meta}, **rate_limits(450, 449, 1633594302))

    def matches(self, tweet: dict[str, Any], term: str) -> bool:
        """One query term, the few the tests use: a word (in the text, any case), `from:name`,
        `is:retweet`, `has:links`, each negated by `-`, and `(a OR b)`."""
        if term.startswith("("):
            return any(self.matches(tweet, t) for t in term[1:-1].split() if t != "OR")
        if term.startswith("-"):
            return not self.matches(tweet, term[1:])
        name, _, value = term.partition(":")
        if name == "from":
            author = self.users.get(tweet.get("author_id", ""), {}).get("data", {})
            return str(author.get("username", "")).lower() == value.lower()
        if term == "is:retweet":
            return any(r["type"] == "retweeted" for r in tweet.get("referenced_tweets", []))
        if term == "has:links":
            return bool(tweet.get("entities", {}).get("urls"))
        return term.lower() in tweet["text"].lower()

    def authors(self, tweets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ids = dict.fromkeys(t.get("author_id") for t in tweets)
        return [self.users[i]["data"] for i in ids if i in self.users]

    def relate(self, request: httpx2.Request, token: Token, path: list[str]) -> httpx2.Response:
        """Make (POST), undo (DELETE …/:target) or list (GET) a relation the fake keeps."""
        _, _, source, relation, *target = path
        match request.method, target, self.related.get(relation):
            case "POST", [], set() as pairs:
                pairs.add((source, json.loads(request.content)["target_user_id"]))
                return self.changed(relation, True)
            case "DELETE", [user_id], set() as pairs:
                pairs.discard((source, user_id))
                return self.changed(relation, False)
            case "GET", [], set():
                return self.listed(token, source, relation, request.url.params)
        return v2_response(403, ERRORS["forbidden"])

    def changed(self, relation: str, state: bool) -> httpx2.Response:
        return v2_response(200, {"data": {relation: state}}, **rate_limits(50, 48, 1633594356))

    def listed(
        self, token: Token, source: str, relation: str, params: httpx2.QueryParams
    ) -> httpx2.Response:
        """A page of a relation's list, ordered by id, with opaque page tokens as v2 gives
        them, each user with the caller's relationships to them."""
        size = int(params.get("max_results", "100"))
        if not 1 <= size <= 1000:
            return v2_response(400, {"title": "Invalid Request", "errors": [{"message": "bad"}]})
        offset = int(params.get("pagination_token", "PAGE0").removeprefix("PAGE"))
        targets = self.members(source, relation)
        page = targets[offset : offset + size]
        users = [
            self.seen_by(token, self.users.get(t, minimal_user(t, f"user{t}")))["data"]
            for t in page
        ]
        meta: dict[str, Any] = {"result_count": len(page)}
        if offset + size < len(targets):
            meta["next_token"] = f"PAGE{offset + size:07d}"
        if offset:
            meta["previous_token"] = f"PAGE{max(offset - size, 0):07d}"
        body = {"data": users, "meta": meta} if page else {"meta": meta}
        return v2_response(200, body, **rate_limits(15, 14, 1633594302))

    def v11_mute(self, request: httpx2.Request, token: Token, mute: bool) -> httpx2.Response:
        """v1.1 itself: the real recorded user object, or 272 for unmuting a user not muted.

        Like the real API, counts move between two answers: each answer has one more follower.
        """
        params = dict(request.url.params) | dict(parse_qsl(request.content.decode()))
        name, user_id = params.get("screen_name", ""), params.get("user_id", "")
        if name.lower() != "twitter" and user_id != "783214":
            return self.v11_json(404, {"errors": [{"code": 50, "message": "User not found."}]})
        key = (token.user_id, "783214")
        if not mute and key not in self.muted:
            message = "You are not muting the specified user."
            return self.v11_json(403, {"errors": [{"code": 272, "message": message}]})
        (self.muted.add if mute else self.muted.discard)(key)
        self.v11_answers += 1
        user = deepcopy(V11_TWITTER) | {"muting": mute}
        user["followers_count"] += self.v11_answers
        return self.v11_json(200, user)

    def v11_follow(self, request: httpx2.Request, token: Token, make: bool) -> httpx2.Response:
        """v1.1's friendships/create and destroy: @Twitter's object with `following` as it was
        before the change (tweepy's 2021 recording), following yourself 158, an unknown user
        108; unfollowing a user not followed is no error."""
        params = dict(request.url.params) | dict(parse_qsl(request.content.decode()))
        name, user_id = params.get("screen_name", ""), params.get("user_id", "")
        if user_id == token.user_id:
            message = "You can't follow yourself."
            return self.v11_json(403, {"errors": [{"code": 158, "message": message}]})
        if name.lower() != "twitter" and user_id != "783214":
            message = "Cannot find specified user."
            return self.v11_json(403, {"errors": [{"code": 108, "message": message}]})
        pair = (token.user_id, "783214")
        before = self.following(*pair)
        (self.related["following"].add if make else self.related["following"].discard)(pair)
        self.v11_answers += 1
        user = deepcopy(V11_TWITTER) | {"following": before, "follow_request_sent": False}
        user["followers_count"] += self.v11_answers
        return self.v11_json(200, user)

    def v11_friendship(self, request: httpx2.Request, token: Token) -> httpx2.Response:
        """v1.1's friendships/show: the recorded relationship, for the caller as source and
        @Twitter as target, with what the fake keeps of it."""
        params = request.url.params
        if params.get("target_id") != "783214" and params.get(
            "target_screen_name", ""
        ).lower() not in ("twitter",):
            return self.v11_json(404, {"errors": [{"code": 50, "message": "User not found."}]})
        me = self.users.get(token.user_id, minimal_user(token.user_id, "me"))["data"]
        pair = (token.user_id, "783214")
        answer = deepcopy(V11_FRIENDSHIP)
        source, target = answer["relationship"]["source"], answer["relationship"]["target"]
        source |= {"id": int(me["id"]), "id_str": me["id"], "screen_name": me["username"]}
        following = self.following(*pair)
        source |= {
            "following": following,
            "want_retweets": following,
            "muting": pair in self.muted,
            "blocking": pair in self.related["blocking"],
        }
        target["followed_by"] = following
        return self.v11_json(200, answer)

    def v11_user(self) -> dict[str, Any]:
        """@Twitter as v1.1 read it, one more follower each answer, as counts move."""
        self.v11_answers += 1
        user = deepcopy(V11_READ_TWITTER)
        user["followers_count"] += self.v11_answers
        return user

    def v11_users_list(self, token: Token, listed: str) -> httpx2.Response:
        """One page of a user list as v1.1 answered it: v1.1 knows only @Twitter's object, so
        the page holds @Twitter if it is listed, with the caller's relations to it
        (`live_following` only on the friends and followers lists, as their 2021 recordings)."""
        pair = (token.user_id, "783214")
        live = {"live_following": False} if listed in ("following", "followers") else {}
        users = [
            self.v11_user()
            | {"following": pair in self.related["following"], **live}
            | {name: pair in self.related[name] for name in ("muting", "blocking")}
            | {"blocked_by": False}
            for user_id in self.members(token.user_id, listed)
            if user_id == "783214"
        ]
        page = MUTED_IDS if listed == "muting" else BLOCKED_IDS
        return self.v11_json(200, {"users": users, **{k: v for k, v in page.items() if k != "ids"}})

    def v11_tweets(self, request: httpx2.Request, shown: list[str]) -> httpx2.Response:
        """statuses/show (by `id` or in the path) and statuses/lookup as v1.1 answered them:
        from @Twitter's recorded timeline, each Tweet by the fake v1.1's own @Twitter."""
        user = {k: v for k, v in self.v11_user().items() if k != "status"}
        known = {
            t["id_str"]: t | {"user": user} for t in V11_TIMELINES["statuses/user_timeline.json"]
        }
        if shown[0] == "lookup.json":
            wanted = request.url.params.get("id", "").split(",")
            return self.v11_json(200, [known[i] for i in wanted if i in known])
        tweet_id = shown[1].removesuffix(".json") if len(shown) == 2 else request.url.params["id"]
        if tweet_id not in known:
            message = "No status found with that ID."
            return self.v11_json(404, {"errors": [{"code": 144, "message": message}]})
        return self.v11_json(200, known[tweet_id])

    def v11_show(self, request: httpx2.Request) -> httpx2.Response:
        params = request.url.params
        if params.get("user_id") == "783214" or params.get("screen_name", "").lower() == "twitter":
            return self.v11_json(200, self.v11_user())
        return self.v11_json(404, {"errors": [{"code": 50, "message": "User not found."}]})

    def v11_lookup(
        self, request: httpx2.Request, token: Token, friendships: bool
    ) -> httpx2.Response:
        """users/lookup or friendships/lookup: v1.1 knows only @Twitter, and answers it once
        however often and however it is asked for, misses left out."""
        params = dict(request.url.params) | dict(parse_qsl(request.content.decode()))
        terms = params.get("user_id", "").split(",") + params.get("screen_name", "").split(",")
        if not {"783214", "twitter"} & {term.strip().lower() for term in terms}:
            message = "No user matches for specified terms."
            return self.v11_json(404, {"errors": [{"code": 17, "message": message}]})
        user = self.v11_user()
        if not friendships:
            return self.v11_json(200, [user])
        # v1.1's following is its recorded user's; the others are those the fake keeps.
        pair, connections = (token.user_id, "783214"), ["following"] if user["following"] else []
        connections += [
            n for n, pairs in self.related.items() if pair in pairs and n != "following"
        ]
        keys = ("name", "id", "screen_name", "id_str")
        relation = {k: user[k] for k in keys} | {"connections": connections or ["none"]}
        return self.v11_json(200, [relation])

    def v11_json(self, status: int, body: object) -> httpx2.Response:
        headers = {"content-type": "application/json;charset=utf-8"}
        return httpx2.Response(status, headers=headers, content=json.dumps(body).encode())

    def v11(self, request: httpx2.Request) -> httpx2.Response:
        """A stand-in for v1.1 itself, for pass-through: it echoes what reached it."""
        if request.url.path == "/1.1/account/verify_credentials.json":
            body: object = V11_TWITTER
        else:
            body = {
                "method": request.method,
                "path": request.url.path,
                "query": str(request.url.query.decode()),
                "body": request.content.decode(),
                "content_type": request.headers.get("content-type"),
            }
        headers = [
            ("content-type", "application/json;charset=utf-8"),
            ("x-rate-limit-limit", "75"),
            ("x-rate-limit-remaining", "74"),
            ("x-rate-limit-reset", "4100000000"),
            ("set-cookie", "guest_id=v1%3A1; Path=/"),
            ("set-cookie", "lang=en; Path=/"),
            ("keep-alive", "timeout=5"),
        ]
        return httpx2.Response(200, headers=headers, content=json.dumps(body).encode())

    def paths(self) -> list[tuple[str, str]]:
        return [(r.method, r.url.path) for r in self.calls]


class FakeV2App:
    """The fake v2 as an ASGI app, so the shim reaches it over a real socket."""

    def __init__(self, fake: FakeV2) -> None:
        self.fake = fake
        # Per path: calls waiting on the fake's delay now, and the most there ever were at once.
        self.in_flight: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        host = dict(scope["headers"])[b"host"].decode()
        url = f"http://{host}{scope['path']}" + (
            f"?{scope['query_string'].decode()}" if scope["query_string"] else ""
        )
        request = httpx2.Request(scope["method"], url, headers=scope["headers"], content=body)
        self.in_flight[scope["path"]] += 1
        self.peak[scope["path"]] = max(self.peak[scope["path"]], self.in_flight[scope["path"]])
        try:
            await asyncio.sleep(self.fake.delay)
        finally:
            self.in_flight[scope["path"]] -= 1
        response = self.fake(request)
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": [(k.encode(), v.encode()) for k, v in response.headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": response.content})


class Streaming:
    """The fake v2, but `path`'s answer is `chunk` after `chunk`, each `gap` seconds after the
    last, until the shim hangs up: an endless stream, or (with a gap) a trickling upstream."""

    def __init__(self, fake: FakeV2, path: str, chunk: bytes, gap: float = 0.0) -> None:
        self.inner = FakeV2App(fake)
        self.path, self.chunk, self.gap = path, chunk, gap

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.inner(scope, receive, send)
            return
        gone = asyncio.Event()

        async def listen() -> None:  # uvicorn's send does not fail once the peer has gone
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        listener = asyncio.create_task(listen())
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for _ in range(100_000):  # bounded, as every loop in a test is
            if gone.is_set():
                break
            await send({"type": "http.response.body", "body": self.chunk, "more_body": True})
            await asyncio.sleep(self.gap)
        listener.cancel()


@contextmanager
def serving_fake(fake: FakeV2) -> Iterator[str]:
    """Serve the fake v2 over plain HTTP on a free loopback port; yields its base URL."""
    with serving(FakeV2App(fake)) as port:
        yield f"http://127.0.0.1:{port}"


# Compare mode for both changes: create served by v1.1, destroy by v2.
COMPARE_ROUTING = """
[routes."mutes/users/create"]
mode = "compare"
primary = "v1"

[routes."mutes/users/destroy"]
mode = "compare"
primary = "v2"
"""


def sign(
    method: str,
    url: str,
    token: Token | None = ALICE,
    *,
    form: dict[str, str] | None = None,
    consumer_secret: str = CONSUMER_SECRET,
    timestamp: str | None = None,
    nonce: str | None = None,
    callback: str | None = None,
    verifier: str | None = None,
) -> dict[str, str]:
    """Headers for a request signed as a legacy client signs it; a form body is part of it."""
    client = Client(
        CONSUMER_KEY,
        client_secret=consumer_secret,
        resource_owner_key=token.token if token else None,
        resource_owner_secret=token.secret if token else None,
        timestamp=timestamp,
        nonce=nonce,
        callback_uri=callback,
        verifier=verifier,
    )
    body = str(httpx2.QueryParams(form)) if form else None
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if form else {}
    _, signed, _ = client.sign(url, method, body, headers)
    return dict(signed)
