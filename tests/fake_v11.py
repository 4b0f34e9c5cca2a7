"""v1.1 itself, as the tests' fake X answers it where the simulated X (`shim.sandbox`)
answers 453: the calls compare mode and pass-through send to v1.1, each from a real recording
of @Twitter (tests/data/reference), with the relations the model keeps."""

import json
from copy import deepcopy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx2

from shim.sandbox.answers import Token, minimal_user
from shim.sandbox.model import SimulatedX
from tests.fake_timelines import V11_TIMELINES, v11_timeline

DATA = Path(__file__).parent / "data"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


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
# v1.1's friendships/show as recorded (tweepy, 2019): @TweepyDev's relationship to @Twitter.
V11_FRIENDSHIP = load("reference/testgetfriendship.decoded.json")["interactions"][0]["response"][
    "body"
]


class V11(SimulatedX):
    """The simulated X with v1.1's own answers in place of its 453s."""

    v11_answers = 0  # answers given, each one more follower, as counts move

    def v11(self, request: httpx2.Request, token: Token) -> httpx2.Response:
        parts = request.url.path.strip("/").split("/")
        match request.method, parts:
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
        return self.v11_echo(request)

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

    def v11_echo(self, request: httpx2.Request) -> httpx2.Response:
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
