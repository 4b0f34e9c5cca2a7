"""Field-level differences between v1.1's answer and the translation's, with noise and names."""

from mappings import ENDPOINTS
from mappings.compare import KNOWN, Difference, Outcome, differences
from tests.fakes import V11_TWITTER

USER = {"id": 1, "screen_name": "a", "followers_count": 5, "geo_enabled": True, "muting": True}


def known(name: str) -> frozenset[str]:
    """The differences the table says the endpoint's comparisons may show."""
    return next(endpoint for endpoint in ENDPOINTS if endpoint.name == name).known


def test_identical_answers_have_no_differences():
    assert (
        differences(known("mutes/users/create"), Outcome(200, USER), Outcome(200, dict(USER))) == []
    )


def test_status_and_code_differences():
    v1 = Outcome(
        403, {"errors": [{"code": 272, "message": "You are not muting the specified user."}]}
    )
    v2 = Outcome(200, USER)

    found = differences(known("mutes/users/destroy"), v1, v2)

    assert [(d.field, d.kind, d.v1, d.v2) for d in found] == [
        ("(status)", "status", 403, 200),
        ("(code)", "code", 272, None),
    ]
    assert {d.known for d in found} == {"unmute-compared-twice"}
    # The other way round: v1.1 unmuted first, and v2's fresh lookup found no mute.
    swapped = differences(known("mutes/users/destroy"), v2, v1)
    assert {d.known for d in swapped} == {"unmute-compared-twice"}
    # Both refusing is no difference at all.
    assert differences(known("mutes/users/destroy"), v1, v1) == []


def test_what_differs_between_two_v11_answers_too_is_noise():
    v1, v1_again = Outcome(200, USER), Outcome(200, USER | {"followers_count": 6})
    v2 = Outcome(200, USER | {"followers_count": 7, "screen_name": "b"})

    found = {d.field: d for d in differences(known("mutes/users/create"), v1, v2, v1_again)}

    assert found["followers_count"].noise is True
    assert found["screen_name"].noise is False
    assert found["screen_name"].known is None


def test_kinds_and_paths():
    v1 = Outcome(
        200, {"users": [{"id": 1, "a": 1, "status": {"source": "<a>web</a>"}}], "total_count": None}
    )
    v2 = Outcome(200, {"users": [{"id": "1", "b": 2, "status": {"source": "web"}}]})

    found = {(d.field, d.kind): d for d in differences(known("mutes/users/list"), v1, v2)}

    assert set(found) == {
        ("users[].id", "type"),
        ("users[].a", "only-v1"),
        ("users[].b", "only-v2"),
        ("users[].status.source", "value"),
        ("total_count", "only-v1"),
    }
    assert found[("users[].status.source", "value")].known == "status-from-v2"
    assert found[("total_count", "only-v1")].known == "total-count"


def test_fields_v2_has_no_source_for_are_known():
    found = differences(
        known("mutes/users/create"), Outcome(200, USER), Outcome(200, USER | {"geo_enabled": False})
    )

    assert [(d.field, d.known) for d in found] == [("geo_enabled", "no-v2-source")]


def test_long_values_are_shortened_in_examples():
    (found,) = differences(
        known("mutes/users/create"), Outcome(200, {"d": "x" * 500}), Outcome(200, {"d": "y"})
    )

    assert isinstance(found, Difference)
    assert len(str(found.v1)) <= 120


def test_every_known_difference_is_explained_in_the_docs():
    """docs/differences.md's tables carry each phrase the comparison names differences by."""
    from pathlib import Path

    explained = (Path(__file__).parents[2] / "docs" / "differences.md").read_text()

    for name, (phrase, _) in KNOWN.items():
        assert phrase in explained, name


def test_a_real_v11_user_against_itself_is_clean():
    assert (
        differences(
            known("mutes/users/create"), Outcome(200, V11_TWITTER), Outcome(200, V11_TWITTER)
        )
        == []
    )


def test_the_status_of_users_in_a_bare_list_is_known_too():
    """users/lookup answers a list of users, not `users[]` under a key: its statuses are the
    same most recent tweet, found by v2's expansion."""
    v1 = Outcome(200, [{"id": 1, "status": {"source": "<a>web</a>"}}])
    v2 = Outcome(200, [{"id": 1, "status": {"source": "web"}}])

    (found,) = differences(known("users/lookup"), v1, v2)

    assert (found.field, found.known) == ("[].status.source", "status-from-v2")
