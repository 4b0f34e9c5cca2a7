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
NOW = 1_796_000_000.0  # a moment, as the shell hands it in


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
    users_inside = [u for u in USERS if bucket(u) <= 50]
    users_outside = [u for u in USERS if bucket(u) > 50]

    assert plan(routing(**route), "mutes/users/create", users_inside[0], NOW) == inside
    assert plan(routing(**route), "mutes/users/create", users_outside[0], NOW) == outside


def test_a_quarter_rollout_takes_about_a_quarter_of_users_and_always_the_same():
    table = routing(mode="v2", rollout=25)
    first = [plan(table, "mutes/users/create", u, NOW).serve for u in USERS]
    again = [plan(table, "mutes/users/create", u, NOW).serve for u in USERS]

    assert first == again
    assert 0.22 < first.count("v2") / len(USERS) < 0.28


def test_the_same_users_are_in_the_rollout_on_every_endpoint():
    assert bucket("1072250532645998596") == bucket("1072250532645998596")
    table = Routing({e: Route("v2", "v1", 25) for e in ENDPOINTS})
    for user in USERS[:200]:
        assert len({plan(table, e, user, NOW).serve for e in ENDPOINTS}) == 1


def test_the_switch_sends_everything_to_v1():
    table = Routing({"mutes/users/create": Route("compare", "v2", 100)}, all_v1=True)

    assert plan(table, "mutes/users/create", USERS[0], NOW) == Plan("v1")
    assert plan(table, "mutes/users/ids", USERS[0], NOW) == Plan("v1")


def test_only_partial_rollouts_need_to_know_the_user():
    assert not needs_user(Routing(), "mutes/users/create", NOW)
    assert needs_user(routing(mode="compare", rollout=25), "mutes/users/create", NOW)
    assert not needs_user(routing(mode="v1", rollout=25), "mutes/users/create", NOW)


def test_the_issues_example_parses():
    data = {"routes": {"mutes/users/create": {"mode": "compare", "primary": "v1", "rollout": 25}}}

    assert parse_routing(data, ENDPOINTS) == routing(mode="compare", primary="v1", rollout=25)


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        ({"routes": {"account/update_profile": {}}}, "not an endpoint the shim routes"),
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


def test_buckets_are_unleashs():
    """The cross-client vectors Unleash's Node, Java and Go clients all test against."""
    assert bucket("123", "gr1") == 73
    assert bucket("999", "groupX") == 25


def test_a_route_can_take_the_group_of_the_operators_flag():
    table = parse_routing(
        {"routes": {"mutes/users/create": {"rollout": 30, "group": "mutes-on-v2"}}}, ENDPOINTS
    )
    inside = [u for u in USERS if plan(table, "mutes/users/create", u, NOW).serve == "v2"]

    assert inside == [u for u in USERS if bucket(u, "mutes-on-v2") <= 30]


def test_allowed_users_are_inside_and_denied_ones_always_on_v1():
    outside = next(u for u in USERS if bucket(u) > 10)
    inside = next(u for u in USERS if bucket(u) <= 10)
    table = routing(mode="v2", rollout=10, allow=frozenset({outside}), deny=frozenset({inside}))

    assert plan(table, "mutes/users/create", outside, NOW) == Plan("v2")
    assert plan(table, "mutes/users/create", inside, NOW) == Plan("v1")
    full = routing(mode="compare", primary="v2", deny=frozenset({inside}))
    assert plan(full, "mutes/users/create", inside, NOW) == Plan("v1")
    assert needs_user(full, "mutes/users/create", NOW)  # a deny list needs the caller


def test_a_ramp_moves_the_rollout_over_its_time():
    table = parse_routing(
        {
            "routes": {
                "mutes/users/create": {
                    "ramp": {"from": 10, "to": 90, "start": NOW, "over": "2h"},
                }
            }
        },
        ENDPOINTS,
    )
    route = table.route("mutes/users/create")

    assert [route.share(NOW + t) for t in (-60, 0, 3600, 7200, 99_999)] == [10, 10, 50, 90, 90]
    halfway = [u for u in USERS if plan(table, "mutes/users/create", u, NOW + 3600).serve == "v2"]
    assert 0.45 < len(halfway) / len(USERS) < 0.55
    early = {u for u in USERS if plan(table, "mutes/users/create", u, NOW).serve == "v2"}
    assert early <= set(halfway)  # a ramp only adds users, never flips one back


def test_a_ramp_start_may_be_a_toml_date():
    import tomllib

    data = tomllib.loads(
        '[routes."mutes/users/create"]\n'
        'ramp = {from = 0, to = 100, start = 2026-12-01T00:00:00Z, over = "1d"}\n'
    )
    ramp = parse_routing(data, ENDPOINTS).route("mutes/users/create").ramp

    assert ramp is not None
    assert (ramp.start, ramp.seconds) == (1_796_083_200.0, 86_400.0)


def test_dry_run_serves_v1_and_plans_for_those_inside():
    inside = next(u for u in USERS if bucket(u) <= 50)
    outside = next(u for u in USERS if bucket(u) > 50)
    table = routing(mode="dry-run", rollout=50)

    assert plan(table, "mutes/users/create", inside, NOW) == Plan("v1", dry_run=True)
    assert plan(table, "mutes/users/create", outside, NOW) == Plan("v1")


def test_the_operators_override_wins_over_everything():
    table = Routing({"mutes/users/create": Route("v1")}, all_v1=True)

    assert plan(table, "mutes/users/create", USERS[0], NOW, "v2") == Plan("v2")


@pytest.mark.parametrize(
    ("route", "complaint"),
    [
        ({"allow": "783214"}, "allow must be a list"),
        ({"deny": ["@twitter"]}, "numeric user ids"),
        ({"ramp": {"from": 0, "to": 100}}, "needs from, to, start and over"),
        ({"ramp": {"from": 0, "to": 100, "start": 1, "over": "soon"}}, "duration"),
        ({"ramp": {"from": 0, "to": 101, "start": 1, "over": "1h"}}, "to must be"),
        ({"group": ""}, "group must be"),
    ],
)
def test_bad_controls_say_what_is_wrong(route, complaint):
    with pytest.raises(ValueError, match=complaint):
        parse_routing({"routes": {"mutes/users/create": route}}, ENDPOINTS)
