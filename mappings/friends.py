"""v1.1's friends and followers lists over v2's following and followers lists: rows over
`lists.ids` and `lists.users`, of any user's lists (`user_id` or `screen_name`; the caller's
by default). Their users carry the relation keys of the real friends/list (tweepy, 2021)."""

from mappings.lists import Listed
from mappings.types import Access

KEYS = ("live_following", "muting", "blocking", "blocked_by")
FRIENDS = Listed(
    "following",
    Access("the following list", write=False, probe="/2/users/{id}/following?max_results=1"),
    keys=("following", *KEYS),
    of_anyone=True,
    total_count=True,
)
FOLLOWERS = Listed(
    "followers",
    Access("the followers list", write=False, probe="/2/users/{id}/followers?max_results=1"),
    keys=KEYS,
    of_anyone=True,
    total_count=True,
)
