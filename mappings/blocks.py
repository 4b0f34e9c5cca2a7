"""v1.1's blocks family over v2: v2's block list, for `blocks/ids` (a row over `lists.ids`)."""

from mappings.lists import Listed
from mappings.types import Access

BLOCKS = Listed(
    "blocking",
    Access("the block list", write=False, probe="/2/users/{id}/blocking?max_results=1"),
)
