"""application/rate_limit_status as the shim answers it: v1.1's shape, windows seen, and X's
published limits where none was seen."""

import json
import re

from mappings.ratelimits import PUBLISHED, Seen, key, path_name, seen, status
from tests.fakes import load
from tests.reference import x_doc

NOW = 1_700_000_000.0
RECORDED = json.loads(
    load("reference/testratelimitstatus.json")["interactions"][0]["response"]["body"]["string"]
)
WINDOWS = {"15 mins": 900, "24 hours": 86_400}


def basic_per_user() -> dict[str, tuple[int, int]]:
    """rate-limits.mdx: each v2 endpoint's Basic per-user limit, as (limit, window seconds)."""
    limits = {}
    for row in re.findall(r"<tr>(.*?)</tr>", x_doc("rate-limits.mdx"), re.S):
        endpoint = re.search(r'data-label="Endpoint">(?:<a [^>]*>)?([^<]+)', row)
        basic = re.search(r'data-label="Basic Limit">(\d+) requests / (15 mins|24 hours)', row)
        if endpoint and basic and "PER USER" in row.split('data-label="Basic Limit">')[1][:120]:
            limits[endpoint[1].strip()] = (int(basic[1]), WINDOWS[basic[2]])
    return limits


def test_the_published_limits_are_xs_basic_per_user_limits():
    published = basic_per_user()

    for name, limit in PUBLISHED.items():
        assert published[limit.v2] == (limit.limit, limit.window), name


def test_the_answer_has_the_recorded_shape():
    answer = status({"access_token": "1-abc"}, [], None, NOW)

    assert set(answer) == set(RECORDED) == {"rate_limit_context", "resources"}
    assert answer["rate_limit_context"] == {"access_token": "1-abc"}
    recorded = RECORDED["resources"]
    for family, endpoints in answer["resources"].items():
        for name, window in endpoints.items():
            assert name.startswith(f"/{family}/")
            assert name in recorded[family]  # v1.1's own keys, e.g. /users/show/:id
            assert set(window) == set(recorded[family][name]) == {"limit", "remaining", "reset"}
            assert all(isinstance(value, int) for value in window.values())


def test_with_nothing_seen_the_published_limits_stand_whole_from_now():
    mutes = status({}, [], None, NOW)["resources"]["mutes"]

    assert mutes["/mutes/users/ids"] == {"limit": 100, "remaining": 100, "reset": int(NOW) + 86_400}


def test_a_window_seen_stands_while_it_lasts_then_is_whole_again():
    live = Seen(15, 3, int(NOW) + 60)
    over = Seen(15, 0, int(NOW) - 1)
    answer = status({}, [("/mutes/users/ids", live), ("/blocks/ids", over)], None, NOW)

    assert answer["resources"]["mutes"]["/mutes/users/ids"] == {
        "limit": 15,
        "remaining": 3,
        "reset": int(NOW) + 60,
    }
    assert answer["resources"]["blocks"]["/blocks/ids"] == {
        "limit": 15,
        "remaining": 15,
        "reset": int(NOW) + 900,
    }


def test_reads_passed_through_are_listed_once_seen():
    timeline = Seen(15, 14, int(NOW) + 100)
    answer = status({}, [("/statuses/home_timeline", timeline)], None, NOW)

    assert answer["resources"]["statuses"]["/statuses/home_timeline"]["remaining"] == 14


def test_resources_keeps_only_the_families_named():
    answer = status({}, [], "mutes, users,nosuch", NOW)

    assert set(answer["resources"]) == {"mutes", "users"}
    assert set(answer["resources"]["users"]) == {"/users/show/:id", "/users/lookup"}
    assert status({}, [], "", NOW)["resources"] == {}


def test_headers_are_read_only_whole_and_numeric():
    headers = {
        "x-rate-limit-limit": "50",
        "x-rate-limit-remaining": "48",
        "x-rate-limit-reset": "9",
    }

    assert seen(headers) == Seen(50, 48, 9)
    assert seen({**headers, "x-rate-limit-reset": "soon"}) is None
    assert seen({"x-rate-limit-limit": "50"}) is None
    assert seen({**headers, "x-rate-limit-remaining": "99"}) == Seen(50, 50, 9)


def test_keys_and_names():
    assert key("users/show") == "/users/show/:id"
    assert key("mutes/users/ids") == "/mutes/users/ids"
    assert path_name("/1.1/statuses/home_timeline.json") == "statuses/home_timeline"
    assert path_name("/1.1/statuses/show/20.json") == "statuses/show/:id"
    assert path_name("/2/users/me") is None
    assert path_name("/1.1/" + "x" * 100 + ".json") is None
