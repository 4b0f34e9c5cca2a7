"""The simulated X's Tweets: looked up, posted, deleted, liked, retweeted and searched as v2
answers each, with what v2 includes beside them (authors, Tweets referred to, media, places).
`SimulatedX` (`shim.sandbox.model`) adds the users' relations and the credentials."""

import html
import json
import re
from typing import Any

import httpx2

from shim.sandbox.answers import (
    ERRORS,
    INVALID,
    Token,
    rate_limits,
    tweet_missing,
    v2_response,
)
from shim.sandbox.media import Media, invalid_media

READ_LIMITS = rate_limits(900, 899, 1633594302)


class Tweets:
    """The Tweets the simulated X knows (`statuses`, by id), who likes which, and the users,
    media and places they name; `limit` bounds what calls can add (then 429, as X's limits)."""

    def __init__(self, users: dict[str, dict[str, Any]], limit: int) -> None:
        self.users = users
        self.limit = limit
        # Its users' most recent Tweets, each by its user.
        self.statuses: dict[str, dict[str, Any]] = {
            tweet["id"]: {"author_id": user_id, **tweet}
            for user_id, user in self.users.items()
            for tweet in user.get("includes", {}).get("tweets", [])
        }
        # Who likes which Tweet, by (user, tweet), in the order liked (liked Tweets are listed
        # latest first); a Tweet's retweets are Tweets in `statuses`.
        self.likes: dict[tuple[str, str], None] = {}
        self.posted = 0  # Tweets posted through it, each a new id after its users' own
        # The media and places its Tweets name, by media key and place id.
        self.media: dict[str, dict[str, Any]] = {}
        self.uploads = Media()  # v2's media endpoints, whose uploads new Tweets may name
        self.places: dict[str, dict[str, Any]] = {}

    def crowded(self) -> bool:
        """Whether calls have added as much as it keeps: it refuses more, as a rate limit."""
        return len(self.statuses) + len(self.likes) >= self.limit

    def changed(self, relation: str, state: bool) -> httpx2.Response:
        return v2_response(200, {"data": {relation: state}}, **rate_limits(50, 48, 1633594356))

    def tweets(self, wanted: list[str]) -> httpx2.Response:
        """/2/tweets?ids=: the tweets it knows, with what they include, and an error for each
        one missing, as v2 answers."""
        found = [self.statuses[i] for i in wanted if i in self.statuses]
        body: dict[str, Any] = {"data": found, "includes": self.included(found)} if found else {}
        missing = [tweet_missing(i) for i in wanted if i not in self.statuses]
        if missing:
            body["errors"] = missing
        return v2_response(200, body, **READ_LIMITS)

    def tweet(self, tweet_id: str) -> httpx2.Response:
        """/2/tweets/:id: the tweet and its author, or v2's 200 with an error."""
        tweet = self.statuses.get(tweet_id)
        if tweet is None:
            return v2_response(200, {"errors": [tweet_missing(tweet_id)]})
        body = {"data": tweet, "includes": self.included([tweet])}
        return v2_response(200, body, **READ_LIMITS)

    def post_tweet(self, token: Token, body: dict[str, Any]) -> httpx2.Response:
        """POST /2/tweets: a new Tweet by the caller, 201 with its id and text, as v2 answers
        (tweepy's recording); the same text again is refused as v2 refuses it."""
        text = str(body.get("text", ""))
        mine = [t for t in self.statuses.values() if t.get("author_id") == token.user_id]
        if text and any(t["text"] == html.escape(text, quote=False) for t in mine):
            detail = "You are not allowed to create a Tweet with duplicate content."
            refusal = {"detail": detail, "type": "about:blank", "title": "Forbidden"}
            return v2_response(403, refusal | {"status": 403})
        if self.crowded():
            return v2_response(429, ERRORS["too_many_requests"])
        attached = self.uploads.attached(body.get("media", {}).get("media_ids", []))
        if attached is None:
            return invalid_media()
        tweet = self.new_tweet(token.user_id, text)
        if attached:
            tweet["attachments"] = {"media_keys": [media["media_key"] for media in attached]}
            self.media |= {media["media_key"]: media for media in attached}
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
            return v2_response(400, INVALID)
        make = request.method == "POST"
        if make and self.crowded():
            return v2_response(429, ERRORS["too_many_requests"])
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
        """`includes` for Tweets: the Tweets they refer to that it knows, the authors and the
        users mentioned (`entities.mentions.username`), the media and places."""
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
        """/2/tweets/search/recent over the tweets it knows, newest first: `query`'s terms all
        match (`matches`), between `since_id` and `until_id` (both exclusive), at most
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
        """One query term, the few it knows: a word (in the text, any case), `from:name`,
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
        return term.lower() in str(tweet["text"]).lower()

    def authors(self, tweets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ids = dict.fromkeys(t.get("author_id") for t in tweets)
        return [self.users[i]["data"] for i in ids if i in self.users]
