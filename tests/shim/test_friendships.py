"""Follow, unfollow and friendships/show through the app against the fake v2, and compared with
v1.1's own answers (the fake v1.1 answers from the real recordings)."""

import pytest

from tests.fakes import ALICE, FakeV2, minimal_user, sign
from tests.shim.test_routing import ADMIN_TOKEN, BASE, comparing, wait_for_comparisons

FOLLOW = f"{BASE}/1.1/friendships/create.json?screen_name=Twitter"
UNFOLLOW = f"{BASE}/1.1/friendships/destroy.json?user_id=783214"
SHOW = f"{BASE}/1.1/friendships/show.json?target_screen_name=Twitter"


def post(client, url: str):
    return client.post(url, headers=sign("POST", url))


def get(client, url: str):
    return client.get(url, headers=sign("GET", url))


def test_follow_then_show_then_unfollow_through_v2(make_client, fake_v2: FakeV2):
    client = make_client()
    fake_v2.related["following"].discard((ALICE.user_id, "783214"))

    before = get(client, SHOW).json()["relationship"]
    followed = post(client, FOLLOW)
    after = get(client, SHOW).json()["relationship"]
    unfollowed = post(client, UNFOLLOW)
    again = post(client, UNFOLLOW)  # not followed any more: still the user object

    assert (before["source"]["following"], after["source"]["following"]) == (False, True)
    assert after["target"]["followed_by"] is True
    assert after["source"]["screen_name"] == "me"  # the caller, from /2/users/me
    assert followed.status_code == 200
    assert (followed.json()["following"], followed.json()["muting"]) == (True, False)
    assert followed.headers["x-rate-limit-limit"] == "50"
    assert followed.headers["content-type"] == "application/json;charset=utf-8"
    assert (unfollowed.json()["following"], again.status_code) == (False, 200)
    assert again.json()["screen_name"] == "Twitter"
    assert (ALICE.user_id, "783214") not in fake_v2.related["following"]
    posts = [path for path in fake_v2.paths() if path[0] in ("POST", "DELETE")]
    assert posts == [
        ("POST", f"/2/users/{ALICE.user_id}/following"),
        ("DELETE", f"/2/users/{ALICE.user_id}/following/783214"),
        ("DELETE", f"/2/users/{ALICE.user_id}/following/783214"),
    ]


def test_a_protected_accounts_follow_is_a_request_the_relationship_shows(
    make_client, fake_v2: FakeV2
):
    locked = minimal_user("4343", "locked")
    locked["data"]["protected"] = True
    fake_v2.users["4343"] = locked
    client = make_client()
    url = f"{BASE}/1.1/friendships/create.json?user_id=4343"

    followed = post(client, url)
    shown = get(client, f"{BASE}/1.1/friendships/show.json?target_id=4343").json()

    assert (followed.json()["following"], followed.json()["follow_request_sent"]) == (False, True)
    source = shown["relationship"]["source"]
    assert (source["following"], source["following_requested"]) == (False, True)
    assert shown["relationship"]["target"]["following_received"] is True


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        (f"{BASE}/1.1/friendships/create.json?user_id={ALICE.user_id}", 403, 158),
        (f"{BASE}/1.1/friendships/create.json", 403, 38),
        (f"{BASE}/1.1/friendships/show.json?target_id=783214&source_id=12", 403, 163),
        (f"{BASE}/1.1/friendships/show.json?source_id=12", 403, 38),
    ],
)
def test_refusals_made_without_calling_v2(make_client, fake_v2: FakeV2, url, status, code):
    client = make_client()
    method = "GET" if "show" in url else "POST"
    answer = client.request(method, url, headers=sign(method, url))

    assert (answer.status_code, answer.json()["errors"][0]["code"]) == (status, code)
    assert fake_v2.calls == []


def test_an_unknown_user_is_108_on_a_follow(make_client, fake_v2: FakeV2):
    answer = post(make_client(), f"{BASE}/1.1/friendships/create.json?screen_name=nobody")

    assert (answer.status_code, answer.json()["errors"][0]["code"]) == (403, 108)
    assert not any(method == "POST" for method, _ in fake_v2.paths())


def test_show_compared_with_v11s_recorded_answer_matches(make_client, config, fake_v2: FakeV2):
    fake_v2.muted.add((ALICE.user_id, "783214"))
    client = make_client(
        config_path=config(comparing(["friendships/show"], "v2")), admin_token=ADMIN_TOKEN
    )

    shown = get(client, SHOW)
    report = wait_for_comparisons(client, 1)

    assert shown.json()["relationship"]["source"]["muting"] is True
    assert report["friendships/show"]["matches"] == 1, report["friendships/show"]


def test_a_follow_compared_shows_only_known_differences_in_following(
    make_client, config, fake_v2: FakeV2
):
    """v1.1 answers first (primary) with `following` as it was before; v2's follow says true."""
    fake_v2.related["following"].discard((ALICE.user_id, "783214"))
    client = make_client(
        config_path=config(comparing(["friendships/create"], "v1")), admin_token=ADMIN_TOKEN
    )

    followed = post(client, FOLLOW)
    report = wait_for_comparisons(client, 1)

    assert followed.json()["following"] is False  # v1.1 served, as recorded
    assert followed.json()["geo_enabled"] is True
    fields = report["friendships/create"]["fields"]
    assert fields["following"]["known"] == "following-state"
    assert fields["following"]["examples"] == [{"v1": False, "v2": True}]
    assert ("POST", f"/2/users/{ALICE.user_id}/following") in fake_v2.paths()
