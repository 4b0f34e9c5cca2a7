"""Finding the source user: the token's id prefix, else v2's /2/users/me."""

import pytest

from mappings.callers import OWN_USER, caller_from_token, whoami
from mappings.errors import V11Error
from mappings.types import Caller, V2Call, V2Reply
from tests.mappings.play import play

ME = V2Call("GET", "/2/users/me", access=OWN_USER)


@pytest.mark.parametrize(
    ("token", "caller"),
    [
        ("1072250532645998596-GLDgUfakefakefake", Caller("1072250532645998596")),
        ("370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", Caller("370773112")),
        ("faketokenwithoutanyid", None),
        ("-leadingdash", None),
        ("12345678901234567890-twenty-digits-is-no-user-id", None),
    ],
)
def test_the_token_prefix_names_the_caller(token, caller):
    assert caller == caller_from_token(token)


def test_whoami_asks_v2():
    body = {
        "data": {"id": "1072250532645998596", "name": "Tweepy Testing", "username": "TweepyDev"}
    }

    assert Caller("1072250532645998596") == play(whoami(), ((ME,), (V2Reply(200, {}, body),)))


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (V2Reply(401, {}, {"title": "Unauthorized", "status": 401}), 89),
        (V2Reply(200, {}, {"data": {"name": "no id"}}), 131),
        (V2Reply(200, {}, {"data": {"id": "not-a-number"}}), 131),
        (V2Reply(200, {}, None), 131),
    ],
)
def test_whoami_failures_are_v11_errors(reply, code):
    steps = whoami()
    next(steps)

    with pytest.raises(V11Error) as error:
        steps.send((reply,))

    assert code == error.value.code
