"""v1.1's blocks family over v2: v2's block list, for `blocks/ids` and `blocks/list` (rows over
`lists.ids` and `lists.users`). v2 has no self-serve way to block or unblock."""

from mappings.lists import Listed
from mappings.types import Access

# As on the mute list, each user carries the caller's other relations to them; on the caller's
# own block list `blocking` is true. Real pages (tweepy, 2019) held `total_count: null`.
BLOCKS = Listed(
    "blocking",
    Access("the block list", write=False, probe="/2/users/{id}/blocking?max_results=1"),
    keys=("muting", "blocking", "blocked_by"),
    total_count=True,
)
