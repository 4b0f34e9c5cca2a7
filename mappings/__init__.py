"""The pure translation of legacy v1.1 calls into v2 calls: no I/O, no clock, no globals.

`ENDPOINTS` is the table of translated endpoints, one `Endpoint` record each; the shell derives
its routes, the routing file's names, comparisons and the tests' paths from it. Adding an
endpoint is a flow and a row here. `ROUTABLE` adds the v1.1 calls v2 cannot serve
(`mappings/unserved.py`), which the routing file may route too.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

from mappings import (
    account,
    blocks,
    friends,
    friendships,
    lists,
    lookups,
    mutes,
    search,
    timelines,
    tweet_actions,
    tweet_lookups,
    tweet_writes,
    unserved,
)
from mappings.callers import OWN_USER
from mappings.endpoints import Endpoint
from mappings.lists import Listed, Listing
from mappings.relations import parse_change
from mappings.tweets import TWEET_LOOKUP
from mappings.types import Access, Caller, Flow
from mappings.users import BY_ID, BY_NAME

# Differences every answer holding v1.1 user objects can show (compare.KNOWN).
USERS = frozenset({"no-v2-source", "status-from-v2", "withheld-always"})
PAGES = frozenset({"page-size", "cursors", "total-count"})
POST, GET = ("POST",), ("GET",)
LOOKUPS = (BY_ID, BY_NAME)


def id_list(path: str, listed: Listed) -> Endpoint[Listing]:
    """A v1.1 cursored id list over v2's list of a relation (`lists.ids`): such rows differ
    only in their path and the list."""
    return Endpoint(
        GET,
        path,
        partial(lists.parse_ids, listed),
        partial(lists.ids, listed),
        comparable=True,
        repeat_v1=True,
        known=PAGES,
        errors=_list_errors(listed),
        access=_list_access(listed),
    )


def user_list(path: str, listed: Listed) -> Endpoint[Listing]:
    """A v1.1 cursored list of user objects over v2's list of a relation (`lists.users`)."""
    return Endpoint(
        GET,
        path,
        partial(lists.parse_users, listed),
        partial(lists.users, listed),
        comparable=True,
        repeat_v1=True,
        known=USERS | PAGES,
        errors=_list_errors(listed),
        access=(*_list_access(listed), TWEET_LOOKUP),
    )


def _list_errors(listed: Listed) -> tuple[int, ...]:
    # Lists of anyone's relations can name a user who is not there (34) or a bad pair.
    return (34, 195) if listed.of_anyone else (195,)


def _list_access(listed: Listed) -> tuple[Access, ...]:
    return (listed.access, BY_NAME) if listed.of_anyone else (listed.access,)


# v1.1's Tweets all render alike (`statuses`): these are the differences any of them can show.
TWEETS = frozenset({"tweet-no-v2-source", "tweet-viewer-flags", "tweet-mention-name"}) | USERS


def tweet_show(path: str) -> Endpoint[tweet_lookups.Show]:
    """statuses/show, with its id as a parameter or in the path (v1.1 took either)."""
    return Endpoint(
        GET,
        path,
        tweet_lookups.parse_show,
        tweet_lookups.show,
        comparable=True,
        repeat_v1=True,
        known=TWEETS,
        errors=(38, 144, 179),
        access=(TWEET_LOOKUP,),
    )


def tweet_action(
    path: str,
    action: tweet_actions.Action,
    flow: Callable[[tweet_lookups.Show, Caller], Flow],
    *extra: Access,
) -> Endpoint[tweet_lookups.Show]:
    """A write to one Tweet named by its `id` (a parameter, or in the path), answered with a
    v1.1 Tweet. None is compared: the version called second sees the first one's change, and
    v1.1 refused a repeat (139, 144, 327) where v2 does not, so a comparison would set a
    refusal against an answer; `statuses/destroy` and `retweet` cannot be repeated at all."""
    return Endpoint(
        POST,
        path,
        tweet_lookups.parse_show,
        flow,
        comparable=False,
        repeat_v1=False,
        known=TWEETS,
        errors=(38, 144, 179),
        access=(action.access, TWEET_LOOKUP, *extra),
    )


def timeline(path: str, kind: timelines.Timeline) -> Endpoint[timelines.Reading]:
    """A v1.1 timeline over v2's (`timelines.timeline`): such rows differ only in their path
    and the timeline; those of anyone can name a user who is not there (34) or a bad pair."""
    return Endpoint(
        GET,
        path,
        partial(timelines.parse, kind),
        partial(timelines.timeline, kind),
        comparable=True,
        repeat_v1=True,
        known=TWEETS | {"timeline-count"},
        errors=(34, 195) if kind.of_anyone else (),
        access=(kind.access, BY_NAME) if kind.of_anyone else (kind.access,),
    )


ENDPOINTS: tuple[Endpoint[Any], ...] = (
    Endpoint(
        POST,
        "/1.1/mutes/users/create.json",
        parse_change,
        mutes.create,
        comparable=True,
        repeat_v1=True,
        known=USERS | {"muting-state"},
        errors=(38, 63, 108, 195, 271),
        access=(mutes.MUTING.access, *LOOKUPS),
    ),
    Endpoint(
        POST,
        "/1.1/mutes/users/destroy.json",
        parse_change,
        mutes.destroy,
        comparable=True,
        # A second unmute would only see the first one's effect: no noise to tell.
        repeat_v1=False,
        known=USERS | {"muting-state", "unmute-compared-twice"},
        errors=(38, 63, 108, 195, 272),
        access=(mutes.MUTING.access, *LOOKUPS),
    ),
    id_list("/1.1/mutes/users/ids.json", mutes.MUTES),
    user_list("/1.1/mutes/users/list.json", mutes.MUTES),
    id_list("/1.1/blocks/ids.json", blocks.BLOCKS),
    user_list("/1.1/blocks/list.json", blocks.BLOCKS),
    id_list("/1.1/friends/ids.json", friends.FRIENDS),
    user_list("/1.1/friends/list.json", friends.FRIENDS),
    id_list("/1.1/followers/ids.json", friends.FOLLOWERS),
    user_list("/1.1/followers/list.json", friends.FOLLOWERS),
    Endpoint(
        GET,
        "/1.1/account/verify_credentials.json",
        account.parse,
        account.verify_credentials,
        comparable=True,
        repeat_v1=True,
        known=USERS | {"no-email"},
        errors=(),
        access=(OWN_USER,),
    ),
    Endpoint(
        GET,
        "/1.1/users/show.json",
        lookups.parse_show,
        lookups.show,
        comparable=True,
        repeat_v1=True,
        known=USERS,
        errors=(38, 50, 63, 195),
        access=LOOKUPS,
    ),
    Endpoint(
        ("GET", "POST"),
        "/1.1/users/lookup.json",
        lookups.parse_terms,
        lookups.users_lookup,
        comparable=True,
        repeat_v1=True,
        known=USERS,
        errors=(17, 18),
        access=LOOKUPS,
    ),
    Endpoint(
        GET,
        "/1.1/friendships/lookup.json",
        lookups.parse_terms,
        lookups.friendships_lookup,
        comparable=True,
        repeat_v1=True,
        known=frozenset(),
        errors=(17, 18),
        access=LOOKUPS,
    ),
    Endpoint(
        POST,
        "/1.1/friendships/create.json",
        parse_change,
        friendships.create,
        comparable=True,
        # A second v1.1 follow of a protected account answers 160 (already requested), and of
        # any other shows the first one's effect: no noise to tell.
        repeat_v1=False,
        known=USERS | {"following-state", "follow-request-compared-twice"},
        errors=(38, 63, 108, 158, 161, 195),
        access=(friendships.FOLLOWING.access, *LOOKUPS),
    ),
    Endpoint(
        POST,
        "/1.1/friendships/destroy.json",
        parse_change,
        friendships.destroy,
        comparable=True,
        # A second unfollow would only see the first one's effect: no noise to tell.
        repeat_v1=False,
        known=USERS | {"following-state"},
        errors=(38, 63, 108, 195),
        access=(friendships.FOLLOWING.access, *LOOKUPS),
    ),
    Endpoint(
        GET,
        "/1.1/friendships/show.json",
        friendships.parse_show,
        friendships.show,
        comparable=True,
        repeat_v1=True,
        known=frozenset({"relationship-no-v2-source"}),
        errors=(38, 50, 63, 163, 195),
        access=(*LOOKUPS, OWN_USER),
    ),
    tweet_show("/1.1/statuses/show.json"),
    tweet_show("/1.1/statuses/show/{id}.json"),
    Endpoint(
        ("GET", "POST"),
        "/1.1/statuses/lookup.json",
        tweet_lookups.parse_lookup,
        tweet_lookups.lookup,
        comparable=True,
        repeat_v1=True,
        known=TWEETS,
        errors=(18, 38),
        access=(TWEET_LOOKUP,),
    ),
    Endpoint(
        POST,
        "/1.1/statuses/update.json",
        tweet_writes.parse_update,
        tweet_writes.update,
        # Posting twice posts twice (or is refused as a duplicate): never sent to both versions.
        comparable=False,
        repeat_v1=False,
        known=TWEETS,
        errors=(44, 170, 186, 187, 324, 385),
        access=(tweet_writes.TWEETING, TWEET_LOOKUP),
    ),
    Endpoint(
        POST,
        "/1.1/statuses/destroy/{id}.json",
        tweet_lookups.parse_show,
        tweet_writes.destroy,
        # The version called second would find the Tweet gone (144): nothing to compare.
        comparable=False,
        repeat_v1=False,
        known=TWEETS,
        errors=(38, 144, 179, 183),
        access=(TWEET_LOOKUP, tweet_writes.TWEETING),
    ),
    tweet_action(
        "/1.1/statuses/retweet/{id}.json",
        tweet_actions.RETWEETS,
        tweet_actions.retweet,
        tweet_actions.OWN_TWEETS,
    ),
    tweet_action(
        "/1.1/statuses/unretweet/{id}.json", tweet_actions.RETWEETS, tweet_actions.unretweet
    ),
    tweet_action("/1.1/favorites/create.json", tweet_actions.LIKES, tweet_actions.like),
    tweet_action("/1.1/favorites/destroy.json", tweet_actions.LIKES, tweet_actions.unlike),
    Endpoint(
        GET,
        "/1.1/search/tweets.json",
        search.parse,
        search.search,
        comparable=True,
        repeat_v1=True,
        known=TWEETS | {"search-completed-in"},
        errors=(25, 195),
        access=(search.SEARCH,),
        anyone=True,
    ),
    timeline("/1.1/statuses/user_timeline.json", timelines.USER_TWEETS),
    timeline("/1.1/statuses/home_timeline.json", timelines.HOME),
    timeline("/1.1/statuses/mentions_timeline.json", timelines.MENTIONS),
    timeline("/1.1/favorites/list.json", timelines.LIKED),
)

# The names the routing file may route: the translated endpoints, then those v2 cannot serve.
ROUTABLE: tuple[str, ...] = tuple(endpoint.name for endpoint in ENDPOINTS) + tuple(
    unserved.name(path) for _, path in unserved.UNSERVED
)
