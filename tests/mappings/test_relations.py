"""A relation's whole answer: every field of v2's change answer it names sets its v1.1 key,
shown with following's (v2's `pending_follow` for a protected account)."""

import pytest

from mappings.errors import V11Error
from mappings.friendships import FOLLOWING
from mappings.params import Target
from mappings.relations import Change, make
from mappings.types import Caller, V2Reply
from tests.fakes import twitter_user

ME = Caller("1500000000000000001")
CHANGE = Change(Target(user_id="783214"), include_entities=True, with_status=True)


def followed(data: dict[str, bool]) -> object:
    """The answer's two keys once v2 answered the follow with `data`."""
    flow = make(FOLLOWING, CHANGE, ME)
    follow, _ = next(flow)
    assert (follow.path, follow.access) == (f"/2/users/{ME.user_id}/following", FOLLOWING.access)
    with pytest.raises(StopIteration) as done:
        flow.send((V2Reply(200, {}, {"data": data}), V2Reply(200, {}, twitter_user())))
    reply = done.value.value
    assert isinstance(reply.body, dict)
    return {key: reply.body[key] for key in ("following", "follow_request_sent")}


def test_each_field_v2_answers_sets_its_v11_key():
    """A protected account's follow is pending: not following yet, the request sent."""
    assert followed({"following": False, "pending_follow": True}) == {
        "following": False,
        "follow_request_sent": True,
    }


def test_a_field_v2_leaves_out_keeps_what_the_lookup_says():
    assert followed({"following": True}) == {"following": True, "follow_request_sent": False}


def test_an_answer_without_the_relations_own_field_is_131():
    with pytest.raises(V11Error) as error:
        followed({"pending_follow": True})

    assert error.value.code == 131
