"""The simulated X: one request in (`httpx2.Request`), its answer out, as API v2 and the v1.1
sign-in answer (`shim.sandbox.signin`): each call's OAuth 1.0a signature checked with the app's
keys and the tokens it knows, users looked up, follows, mutes and blocks made, undone and
listed, Tweets and timelines (`shim.sandbox.tweets`). Its state changes as calls are made and
is bounded (`limit`). Any other v1.1 call is answered 403, code 453, as X answers it on
self-serve access today."""

import json
from collections.abc import Callable
from copy import deepcopy
from typing import Any

import httpx2

from shim.sandbox.answers import (
    ERRORS,
    INVALID,
    NOT_AUTHORIZED,
    Token,
    minimal_user,
    not_found,
    rate_limits,
    v2_response,
)
from shim.sandbox.signatures import signer
from shim.sandbox.signin import PATHS, SignIn
from shim.sandbox.timelines import LEAST, page, selected
from shim.sandbox.tweets import Tweets

LIMIT = 100_000  # relations, Tweets and likes together: what calls can add before a 429


class SimulatedX(Tweets):
    """Answers v2 user lookups and the calls that make, undo and list a relation (`related`:
    the (source, target) pairs of each), Tweets, and the v1.1 sign-in, after checking each
    call's OAuth 1.0a signature (or bearer token)."""

    def __init__(
        self,
        *users: dict[str, Any],
        tokens: tuple[Token, ...] = (),
        bearers: tuple[Token, ...] = (),
        limit: int = LIMIT,
    ) -> None:
        super().__init__({u["data"]["id"]: u for u in users}, limit)
        self.tokens = {t.token: t for t in tokens}
        self.bearers = {t.token: t for t in bearers}
        self.muted: set[tuple[str, str]] = set()
        # Every caller follows the users whose body says the caller does (@Twitter's does).
        following = {
            (token.user_id, user_id)
            for user_id, user in self.users.items()
            if "following" in user["data"].get("connection_status", [])
            for token in (*tokens, *bearers)
        }
        self.related = {"following": following, "muting": self.muted, "blocking": set()}
        # Follows of a protected account waiting for its approval, by (source, target).
        self.requested: set[tuple[str, str]] = set()
        self.sign_in = SignIn(self.tokens)

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path in PATHS:
            return self.sign_in(request)
        token = signer(request, self.tokens, self.bearers)
        if token is None:
            return v2_response(401, ERRORS["unauthorized"])
        return self.route(request, token)

    def crowded(self) -> bool:
        kept = sum(map(len, self.related.values())) + len(self.requested)
        return super().crowded() or len(self.statuses) + len(self.likes) + kept >= self.limit

    def route(self, request: httpx2.Request, token: Token) -> httpx2.Response:
        parts = request.url.path.strip("/").split("/")
        params = request.url.params
        match request.method, parts:
            case _, ["2", "media", *rest]:
                return self.uploads(request, rest)
            case "GET", ["2", "users", "me"]:
                me = self.users.get(token.user_id, minimal_user(token.user_id, "me"))
                return v2_response(200, me, **{"x-rate-limit-limit": "75"})
            case "GET", ["2", "users"]:
                wanted = params.get("ids", "").split(",")
                return self.found_many(token, wanted, lambda u: u["id"], "ids")
            case "GET", ["2", "users", "by"]:
                wanted = params.get("usernames", "").split(",")
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
                return self.graph(token, owner, listed, params)
            case "GET", ["2", "tweets"]:
                return self.tweets(params.get("ids", "").split(","))
            case "GET", ["2", "tweets", "search", "recent"]:
                return self.search(params)
            case "GET", ["2", "tweets", tweet_id]:
                return self.tweet(tweet_id)
            case "POST", ["2", "tweets"]:
                return self.post_tweet(token, json.loads(request.content))
            case "DELETE", ["2", "tweets", tweet_id]:
                return self.delete_tweet(token, tweet_id)
            case "GET", ["2", "users", owner, *kind] if "/".join(kind) in LEAST:
                return self.timeline(token, owner, "/".join(kind), params)
            case (("POST" | "DELETE"), ["2", "users", token.user_id, ("likes" | "retweets"), *end]):
                return self.react(request, token, parts[3], end)
            case ("POST" | "DELETE") as method, ["2", "users", token.user_id, "following", *end]:
                return self.follow(request, token, method == "POST", end)
            case _, ["2", "users", token.user_id, _, *_]:
                return self.relate(request, token, parts)
            case _, ["1.1", *_]:
                return self.v11(request, token)
        return v2_response(403, ERRORS["forbidden"])

    def v11(self, request: httpx2.Request, token: Token) -> httpx2.Response:
        """A v1.1 call: what X answers an app on self-serve access (reference README)."""
        return v2_response(403, ERRORS["tier_without_access"])

    def seen_by(self, token: Token, user: dict[str, Any]) -> dict[str, Any]:
        """A copy of a v2 user body whose connection_status is this caller's relationships to
        the user, those it keeps among them."""
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
            if self.crowded():
                return v2_response(429, ERRORS["too_many_requests"])
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
        self, token: Token, wanted: list[str], key: Callable[[Any], str], parameter: str
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
        """A page of a timeline computed from the Tweets it knows (`shim.sandbox.timelines`),
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

    def relate(self, request: httpx2.Request, token: Token, path: list[str]) -> httpx2.Response:
        """Make (POST), undo (DELETE …/:target) or list (GET) a relation it keeps."""
        _, _, source, relation, *target = path
        match request.method, target, self.related.get(relation):
            case "POST", [], set() as pairs:
                if self.crowded():
                    return v2_response(429, ERRORS["too_many_requests"])
                pairs.add((source, json.loads(request.content)["target_user_id"]))
                return self.changed(relation, True)
            case "DELETE", [user_id], set() as pairs:
                pairs.discard((source, user_id))
                return self.changed(relation, False)
            case "GET", [], set():
                return self.listed(token, source, relation, request.url.params)
        return v2_response(403, ERRORS["forbidden"])

    def listed(
        self, token: Token, source: str, relation: str, params: httpx2.QueryParams
    ) -> httpx2.Response:
        """A page of a relation's list, ordered by id, with opaque page tokens as v2 gives
        them, each user with the caller's relationships to them."""
        size = int(params.get("max_results", "100"))
        if not 1 <= size <= 1000:
            return v2_response(400, INVALID)
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
