"""v1.1's own Tweet writes over v2, each answered with the whole v1.1 Tweet (`statuses`):

- `statuses/update` → `POST /2/tweets`, then the new Tweet read back (`GET /2/tweets/:id`). v2's
  create answer holds only the id and the text (tweepy's recording test_client_create_and_delete_
  tweet), v1.1's the whole Tweet with its user, entities and source (testupdateanddestroystatus):
  one read more gives every key. Where the read finds nothing (v2 is eventually consistent) or
  fails, the Tweet is posted all the same, so it is answered as far as it is known: its id, its
  text, the caller as its author, and the time its id carries.
- `statuses/destroy/:id` → the Tweet read first (v1.1 answered the deleted Tweet), then
  `DELETE /2/tweets/:id`; another user's Tweet is refused before any write, 183, as v1.1 did.

v1.1's parameters in v2's body (its fields as X's create endpoint takes them: `text`,
`reply.in_reply_to_tweet_id`, `reply.exclude_reply_user_ids`, `quote_tweet_id`,
`direct_message_deep_link`, `media.media_ids`, `geo.place_id`); what v2 has no field for (`lat`,
`long`, `display_coordinates`, `auto_populate_reply_metadata`) is in docs/differences.md.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mappings.errors import V11Error, raise_for_v2, tightest, words
from mappings.params import number
from mappings.statuses import Rendering, parse_rendering, tweet_params, v11_statuses
from mappings.tweet_lookups import HIDDEN, MISSING, Show
from mappings.tweets import TWEET_LOOKUP
from mappings.types import Access, Caller, Flow, Known, V2Call, V2Reply, V11Reply, V11Request

TWEETING = Access("tweeting", write=True)
"""Posting and deleting the caller's Tweets (`POST /2/tweets`, `DELETE /2/tweets/:id`)."""

MOST_MEDIA = 4  # v1.1 and v2 both attach at most four media ids
# v2's words for a refused Tweet, each with the v1.1 code it stands for (docs/differences.md):
# a 403 "You are not allowed to create a Tweet with duplicate content." (akrherz/iembot issue
# 163, 2026), a 400 "Your Tweet text is too long. …" (tweepy's BadRequest in gundogan8/FotBot
# issue 22, 2023), and v1.1's own words for a reply to a Tweet gone, should v2 give them.
REFUSALS = (
    ("duplicate content", 187),
    ("too long", 186),
    ("deleted or not visible", 385),
)
TWEET_URL = re.compile(
    r"https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/\w{1,15}/status(?:es)?/([0-9]{1,19})"
    r"/?(?:\?.*)?"
)
DM_LINK = re.compile(r"https?://(?:www\.)?(?:twitter|x)\.com/messages/compose\?\S+")
TWITTER_EPOCH_MS = 1288834974657  # a Tweet id's top bits count milliseconds from here


@dataclass(frozen=True, slots=True)
class Update:
    """A statuses/update request, checked: v2's body for it, and how to render the answer."""

    body: Mapping[str, object]
    rendering: Rendering


def parse_update(request: V11Request, known: Known) -> Update:
    """v1.1's parameters as v2's body; what cannot name a Tweet or media fails here, as v1.1
    refused it (codes in mappings/errors.py)."""
    text = request.param("status")
    media = _ids(request.param("media_ids"))
    body: dict[str, object] = {"text": text} if text else {}
    attached = request.param("attachment_url")
    if attached:
        body |= _attachment(attached)
    if not text and not media and not attached:
        raise V11Error(170)
    if media:
        body["media"] = {"media_ids": media}
    reply = _reply(request)
    if reply:
        body["reply"] = reply
    place = request.param("place_id")
    if place:
        body["geo"] = {"place_id": place}
    return Update(body, parse_rendering(request))


def _ids(given: str | None) -> list[str]:
    """v1.1's comma-separated media ids: numbers, at most four (else 324, as v1.1 refused)."""
    terms = [term.strip() for term in (given or "").split(",") if term.strip()]
    if len(terms) > MOST_MEDIA or any(number(term) is None for term in terms):
        raise V11Error(324)
    return terms


def _attachment(url: str) -> dict[str, object]:
    """A Tweet's address quotes it; a link to a direct message conversation is v2's deep link;
    v1.1 refused any other URL (44)."""
    quoted = TWEET_URL.fullmatch(url)
    if quoted:
        return {"quote_tweet_id": quoted.group(1)}
    if DM_LINK.fullmatch(url):
        return {"direct_message_deep_link": url}
    raise V11Error(44)


def _reply(request: V11Request) -> dict[str, object]:
    given = request.param("in_reply_to_status_id")
    if not given:
        return {}
    replied = number(given)
    if replied is None:
        raise V11Error(385)  # no Tweet has such an id
    reply: dict[str, object] = {"in_reply_to_tweet_id": str(replied)}
    excluded = [t.strip() for t in (request.param("exclude_reply_user_ids") or "").split(",")]
    excluded = [t for t in excluded if number(t) is not None]
    if excluded:
        reply["exclude_reply_user_ids"] = excluded
    return reply


def update(request: Update, caller: Caller) -> Flow:
    """POST /1.1/statuses/update.json → POST /2/tweets, then GET /2/tweets/:id."""
    (posted,) = yield (V2Call("POST", "/2/tweets", json=request.body, access=TWEETING),)
    raise_for_tweeting(posted)
    created = posted.body.get("data") if isinstance(posted.body, dict) else None
    if not isinstance(created, dict) or number(str(created.get("id"))) is None:
        raise V11Error(131)
    (found,) = yield (read_call(str(created["id"])),)
    tweets = rendered(found, request.rendering)
    if not tweets:
        built = {
            "id": str(created["id"]),
            "text": str(created.get("text", "")),
            "created_at": _created_at(str(created["id"])),
            "author_id": caller.user_id,
        }
        tweets = v11_statuses({"data": [built]}, request.rendering)
    return V11Reply(200, tweets[0], tightest((posted, found)))


def destroy(request: Show, caller: Caller) -> Flow:
    """POST /1.1/statuses/destroy/:id.json → GET /2/tweets/:id, then DELETE /2/tweets/:id."""
    (found,) = yield (read_call(request.tweet_id),)
    raise_for_v2(found, unknown_user=MISSING, hidden=HIDDEN)
    tweets = rendered(found, request.rendering)
    if not tweets:
        raise V11Error(131)
    if tweets[0]["user"]["id_str"] != caller.user_id:
        raise V11Error(183)
    path = f"/2/tweets/{request.tweet_id}"
    (deleted,) = yield (V2Call("DELETE", path, access=TWEETING),)
    raise_for_v2(deleted, unknown_user=MISSING)
    return V11Reply(200, tweets[0], tightest((found, deleted)))


def read_call(tweet_id: str) -> V2Call:
    """One Tweet read with all a v1.1 Tweet needs."""
    return V2Call("GET", f"/2/tweets/{tweet_id}", tweet_params(), access=TWEET_LOOKUP)


def rendered(reply: V2Reply, rendering: Rendering) -> list[dict[str, Any]]:
    """The v1.1 Tweet a successful one-Tweet read holds, or none."""
    body = reply.body if reply.status == 200 and isinstance(reply.body, dict) else {}
    return v11_statuses({**body, "data": [body["data"]]}, rendering) if "data" in body else []


def raise_for_tweeting(reply: V2Reply) -> None:
    """A write's failure: a refusal v2 words as one v1.1 had its own code for, else what any
    v2 failure stands for."""
    if reply.status in (400, 403) and isinstance(reply.body, Mapping):
        said = words(reply.body).lower()
        for phrase, code in REFUSALS:
            if phrase in said:
                raise V11Error(code)
    raise_for_v2(reply, unknown_user=MISSING, hidden=HIDDEN)


def _created_at(tweet_id: str) -> str:
    """The time a Tweet id carries, as v2 writes `created_at`."""
    moment = datetime.fromtimestamp(((int(tweet_id) >> 22) + TWITTER_EPOCH_MS) / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
