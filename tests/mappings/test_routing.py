"""Which version serves a call: per endpoint mode, sticky per-user rollout, the all-v1 switch."""

import pytest

from mappings import ENDPOINTS as TABLE
from mappings.routing import (
    Plan,
    Route,
    Routing,
    bucket,
    needs_user,
    parse_routing,
    plan,
)

ENDPOINTS = tuple(endpoint.name for endpoint in TABLE)
USERS = [str(1_500_000_000_000_000_000 + n) for n in range(2000)]


def routing(**route: object) -> Routing:
    return Routing({"mutes/users/create": Route(**route)})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("route", "inside", "outside"),
    [
        ({}, Plan("v2"), Plan("v2")),
        ({"mode": "v1"}, Plan("v1"), Plan("v1")),
        ({"mode": "v2", "rollout": 50}, Plan("v2"), Plan("v1")),
        ({"mode": "compare", "rollout": 50}, Plan("v1", "v2"), Plan("v1")),
        ({"mode": "compare", "primary": "v2", "rollout": 50}, Plan("v2", "v1"), Plan("v2")),
    ],
)
def test_plans_by_mode(route, inside, outside):
    users_inside = [u for u in USERS if bucket(u) < 50]
    users_outside = [u for u in USERS if bucket(u) >= 50]

    assert plan(routing(**route), "mutes/users/create", users_inside[0]) == inside
    assert plan(routing(**route), "mutes/users/create", users_outside[0]) == outside


def test_a_quarter_rollout_takes_about_a_quarter_of_users_and_always_the_same():
    table = routing(mode="v2", rollout=25)
    first = [plan(table, "mutes/users/create", u).serve for u in USERS]
    again = [plan(table, "mutes/users/create", u).serve for u in USERS]

    assert first == again
    assert 0.22 < first.count("v2") / len(USERS) < 0.28


def test_the_same_users_are_in_the_rollout_on_every_endpoint():
    assert bucket("1072250532645998596") == bucket("1072250532645998596")
    table = Routing({e: Route("v2", "v1", 25) for e in ENDPOINTS})
    for user in USERS[:200]:
        assert len({plan(table, e, user).serve for e in ENDPOINTS}) == 1


def test_the_switch_sends_everything_to_v1():
    table = Routing({"mutes/users/create": Route("compare", "v2", 100)}, all_v1=True)

    assert plan(table, "mutes/users/create", USERS[0]) == Plan("v1")
    assert plan(table, "mutes/users/ids", USERS[0]) == Plan("v1")


def test_only_partial_rollouts_need_to_know_the_user():
    assert not needs_user(Routing(), "mutes/users/create")
    assert needs_user(routing(mode="compare", rollout=25), "mutes/users/create")
    assert not needs_user(routing(mode="v1", rollout=25), "mutes/users/create")


def test_the_issues_example_parses():
    data = {"routes": {"mutes/users/create": {"mode": "compare", "primary": "v1", "rollout": 25}}}

    assert parse_routing(data, ENDPOINTS) == routing(mode="compare", primary="v1", rollout=25)


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        ({"routes": {"statuses/update": {}}}, "not a translated endpoint"),
        ({"routes": {"mutes/users/create": {"mode": "v3"}}}, "mode must be one of"),
        ({"routes": {"mutes/users/create": {"primary": "v3"}}}, "primary must be"),
        ({"routes": {"mutes/users/create": {"rollout": 101}}}, "rollout must be"),
        ({"routes": {"mutes/users/create": {"rollout": "25%"}}}, "rollout must be"),
        ({"routes": {"mutes/users/create": {"rolout": 25}}}, "unknown keys"),
        ({"all_v1": "yes"}, "all_v1 must be"),
    ],
)
def test_bad_tables_say_what_is_wrong(data, complaint):
    with pytest.raises(ValueError, match=complaint):
        parse_routing(data, ENDPOINTS)
