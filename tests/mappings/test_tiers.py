"""The access levels `shim check` names (`mappings.tiers`) are X's own: each call's entry
equals the plans X's rate-limit table gives it a limit in (a byte copy of the page in
tests/data/reference/), and every kind of read `shim check` probes has an entry."""

import re
from pathlib import Path

import pytest

from mappings import ENDPOINTS
from mappings.tiers import PLANS, TIERS, needed, probed
from mappings.types import Access

PAGE = Path(__file__).parent.parent / "data" / "reference" / "rate-limits.mdx"


def listed() -> dict[str, tuple[str, ...]]:
    """Each call in the page's v2 table, and the plans whose column gives it a limit (a plan
    without the call shows a cross, an SVG of class `lucide-x`, or no cell at all)."""
    table = PAGE.read_text().split("## X API v2 rate limits", 1)[1].split("</table>", 1)[0]
    calls: dict[str, tuple[str, ...]] = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = dict(re.findall(r'<td data-label="([^"]+)">(.*?)</td>', row, re.S))
        if "Endpoint" not in cells:
            continue
        call = re.sub(r"<[^>]+>", "", cells["Endpoint"]).strip()
        # A row may lack a plan's cell (the page's search/all has no Free one): not offered.
        limits = {plan: cells.get(f"{plan} Limit", "") for plan in PLANS}
        assert all("requests" in c or "lucide-x" in c or not c for c in limits.values()), call
        calls[call] = tuple(plan for plan, cell in limits.items() if "requests" in cell)
    return calls


def test_the_page_is_read_whole():
    calls = listed()

    assert len(calls) == PAGE.read_text().count('data-label="Endpoint"')  # every row
    assert calls["GET /2/users/search"] == ("Pro",)  # a cross for Basic and Free
    assert calls["GET /2/users/me"] == PLANS


@pytest.mark.parametrize("call", sorted(TIERS))
def test_each_entry_is_what_x_lists(call: str):
    """A call the table lists: the plans with a limit for it; one it does not: none."""
    assert TIERS[call] == listed().get(call, ())


def test_the_calls_the_issue_names_are_there():
    assert {
        "GET /2/users/me",
        "GET /2/users/:id",
        "GET /2/users/by/username/:username",
        "GET /2/users/:id/muting",
        "POST /2/users/:id/muting",
        "DELETE /2/users/:source_user_id/muting/:target_user_id",
        "GET /2/users/:id/blocking",
        "GET /2/users/:id/following",
        "POST /2/users/:id/following",
        "DELETE /2/users/:source_user_id/following/:target_user_id",
        "GET /2/users/:id/followers",
        "GET /2/tweets",
    } <= set(TIERS)


PROBED: list[Access] = sorted(
    {a for e in ENDPOINTS for a in e.access if a.probe}, key=lambda a: a.name
)


@pytest.mark.parametrize("access", PROBED, ids=[a.name for a in PROBED])
def test_every_probed_read_has_its_level(access: Access):
    """A new kind of read with a probe fails here until its call has its entry in TIERS."""
    assert probed(access) in TIERS
    assert needed(access)


def test_levels_in_words():
    blocking = Access("the block list", write=False, probe="/2/users/{id}/blocking?max_results=1")
    following = Access("following", write=False, probe="/2/users/{id}/following?max_results=1")

    assert probed(blocking) == "GET /2/users/:id/blocking"
    assert needed(blocking) == "GET /2/users/:id/blocking needs X's Free plan or higher"
    assert "no self-serve plan" in needed(following)
    assert needed(Access("elsewhere", write=False, probe="/2/spaces")) == ""
