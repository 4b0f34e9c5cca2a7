"""The app end to end in-process: signed v1.1 requests in, signed v2 calls to a fake v2 out."""

import asyncio
import time

import httpx2
import pytest

from tests.conftest import MakeClient
from tests.fakes import (
    ALICE,
    APP_ONLY,
    BOB,
    CAROL,
    HANG_UP,
    SILENCE,
    Answer,
    FakeV2,
    Model,
    sign,
    v2_response,
)
from tests.servers import free_port

BASE = "http://testserver"
CREATE = f"{BASE}/1.1/mutes/users/create.json"
DESTROY = f"{BASE}/1.1/mutes/users/destroy.json"
ADMIN_TOKEN = "fake-admin-token-of-32-characters"


def post(client, url, token=ALICE, **sign_options):
    return client.post(url, headers=sign("POST", url, token, **sign_options))


def test_mute_by_user_id_answers_the_v11_user(make_client: MakeClient, fake_v2: FakeV2):
    """tweepy's shape: parameters in the query string, the user object back."""
    response = post(make_client(), f"{CREATE}?user_id=783214")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=utf-8"
    body = response.json()
    assert (
        body["id"],
        body["id_str"],
        body["screen_name"],
        body["muting"],
    ) == (783214, "783214", "Twitter", True)
    assert {(ALICE.user_id, "783214")} == fake_v2.muted
    assert response.headers["x-rate-limit-limit"] == "50"


def test_mute_by_screen_name_in_a_form_body(make_client: MakeClient, fake_v2: FakeV2):
    """twython's shape: parameters in a form body, which the signature covers too."""
    form = {"screen_name": "Twitter"}
    response = make_client().post(CREATE, data=form, headers=sign("POST", CREATE, form=form))

    assert response.status_code == 200
    assert [
        ("GET", "/2/users/by/username/Twitter"),
        ("POST", f"/2/users/{ALICE.user_id}/muting"),
    ] == fake_v2.paths()


def test_unmute_by_screen_name(make_client: MakeClient, fake_v2: FakeV2):
    fake_v2.muted.add((ALICE.user_id, "783214"))
    response = post(make_client(), f"{DESTROY}?screen_name=Twitter")

    assert (response.status_code, response.json()["muting"]) == (200, False)
    assert set() == fake_v2.muted


def test_a_token_without_an_id_is_identified_once(make_client: MakeClient, fake_v2: FakeV2):
    """/2/users/me is asked once per token; the answer is cached."""
    client = make_client()
    first = post(client, f"{CREATE}?user_id=783214", BOB)
    second = post(client, f"{DESTROY}?user_id=783214", BOB)

    assert (first.status_code, second.status_code) == (200, 200)
    assert fake_v2.paths().count(("GET", "/2/users/me")) == 1
    assert ("DELETE", f"/2/users/{BOB.user_id}/muting/783214") in fake_v2.paths()


def test_the_single_user_from_the_environment(make_client: MakeClient, fake_v2: FakeV2):
    """SHIM_ACCESS_TOKEN serves one user without the store."""
    client = make_client(
        db_path=":memory:", access_token=ALICE.token, access_token_secret=ALICE.secret
    )

    assert post(client, f"{CREATE}?user_id=783214").status_code == 200
    assert post(client, f"{CREATE}?user_id=783214", BOB).status_code == 401


def refusal(response) -> tuple[int, int]:
    return response.status_code, response.json()["errors"][0]["code"]


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, (400, 215)),
        ({"Authorization": "Bearer "}, (400, 215)),
        ({"Authorization": "Basic ZmFrZTpmYWtl"}, (400, 215)),
        ({"Authorization": "OAuth"}, (400, 215)),
        ({"Authorization": 'OAuth oauth_consumer_key="x'}, (400, 215)),
        ({"Authorization": 'OAuth oauth_consumer_key="fakeconsumerkey0000000000"'}, (400, 215)),
    ],
)
def test_missing_or_unparseable_authorization(make_client: MakeClient, fake_v2, headers, code):
    response = make_client().post(f"{CREATE}?user_id=783214", headers=headers)

    assert code == refusal(response)
    assert fake_v2.calls == []


def test_a_bad_signature(make_client: MakeClient, fake_v2: FakeV2):
    response = post(make_client(), f"{CREATE}?user_id=783214", consumer_secret="wrong")

    assert refusal(response) == (401, 32)
    assert fake_v2.calls == []


def test_a_tampered_parameter(make_client: MakeClient, fake_v2: FakeV2):
    headers = sign("POST", f"{CREATE}?user_id=783214")
    response = make_client().post(f"{CREATE}?user_id=12", headers=headers)

    assert refusal(response) == (401, 32)
    assert fake_v2.calls == []


def test_an_unknown_token(make_client: MakeClient, fake_v2: FakeV2):
    stranger = type(ALICE)("1500000000000000009-" + "nobody" * 6 + "0000", "fake-secret", "9")
    response = post(make_client(), f"{CREATE}?user_id=783214", stranger)

    assert refusal(response) == (401, 89)
    assert fake_v2.calls == []


def test_a_replay_is_refused(make_client: MakeClient, fake_v2: FakeV2):
    client = make_client()
    url = f"{CREATE}?user_id=783214"
    headers = sign("POST", url)

    assert client.post(url, headers=headers).status_code == 200
    calls = len(fake_v2.calls)
    assert refusal(client.post(url, headers=headers)) == (401, 32)
    assert calls == len(fake_v2.calls)


def test_a_forged_request_does_not_burn_the_real_clients_nonce(make_client: MakeClient):
    client = make_client()
    url = f"{CREATE}?user_id=783214"
    forged = post(client, url, consumer_secret="wrong", nonce="sharednonce12345", timestamp=None)
    real = post(client, url, nonce="sharednonce12345")

    assert (forged.status_code, real.status_code) == (401, 200)


@pytest.mark.parametrize(("skew", "status"), [(-301, 401), (400, 401), (-250, 200), (250, 200)])
def test_timestamps_more_than_five_minutes_off(make_client: MakeClient, skew, status):
    response = post(
        make_client(), f"{CREATE}?user_id=783214", timestamp=str(int(time.time()) + skew)
    )

    assert status == response.status_code
    if status == 401:
        assert response.json()["errors"][0]["code"] == 135


def test_plaintext_signatures_are_refused(make_client: MakeClient, fake_v2: FakeV2):
    url = f"{CREATE}?user_id=783214"
    headers = sign("POST", url)
    headers["Authorization"] = headers["Authorization"].replace("HMAC-SHA1", "PLAINTEXT")

    assert refusal(make_client().post(url, headers=headers)) == (401, 32)
    assert fake_v2.calls == []


def test_the_public_url_is_what_clients_sign(make_client: MakeClient):
    """Behind a TLS terminator the client signs the public https URL, not the one the shim sees."""
    public = "https://shim.example.com/1.1/mutes/users/create.json?user_id=783214"
    headers = sign("POST", public)

    behind = make_client(public_urls=("https://shim.example.com",))
    assert behind.post(f"{CREATE}?user_id=783214", headers=headers).status_code == 200
    unaware = make_client()
    assert refusal(unaware.post(f"{CREATE}?user_id=783214", headers=sign("POST", public))) == (
        401,
        32,
    )


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/"), ("POST", "/favicon.ico"), ("GET", "/3/x")]
)
def test_unknown_pages(make_client: MakeClient, fake_v2: FakeV2, method, path):
    response = make_client().request(method, f"{BASE}{path}")

    assert refusal(response) == (404, 34)
    assert fake_v2.calls == []


def test_with_pass_through_off_other_api_paths_are_unknown(make_client: MakeClient, fake_v2):
    url = f"{BASE}/1.1/account/update_profile.json?description=hi"
    response = make_client(passthrough=False).post(url, headers=sign("POST", url))

    assert refusal(response) == (404, 34)
    assert fake_v2.calls == []


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", (403, 38)),
        ("?user_id=abc", (403, 108)),
        ("?screen_name=a%20b", (403, 108)),
        (f"?user_id={ALICE.user_id}", (403, 271)),
    ],
)
def test_bad_targets_never_reach_v2(make_client: MakeClient, fake_v2: FakeV2, query, code):
    assert code == refusal(post(make_client(), f"{CREATE}{query}"))
    assert fake_v2.calls == []


def test_a_missing_screen_name(make_client: MakeClient):
    assert refusal(post(make_client(), f"{CREATE}?screen_name=nobody")) == (403, 108)


def answer_all(answer: Answer) -> Model:
    return lambda request: answer


LIMITS = {
    "x-rate-limit-limit": "50",
    "x-rate-limit-remaining": "0",
    "x-rate-limit-reset": "1700000000",
}


@pytest.mark.parametrize(
    ("upstream", "code"),
    [
        (HANG_UP, (503, 130)),
        (SILENCE, (503, 130)),
        (httpx2.Response(502, text="<html>Bad Gateway</html>"), (503, 130)),
        (httpx2.Response(500, text="<html>oops</html>"), (500, 131)),
        (httpx2.Response(200, text='{"data": {"muting": tr'), (500, 131)),
        (v2_response(401, {"title": "Unauthorized", "status": 401}), (401, 89)),
        (
            v2_response(403, {"reason": "client-not-enrolled", "title": "Client Forbidden"}),
            (403, 87),
        ),
        (v2_response(429, {"title": "Too Many Requests", "status": 429}, **LIMITS), (429, 88)),
    ],
)
def test_upstream_trouble_is_a_v11_error(make_client: MakeClient, upstream, code):
    client = make_client(answer_all(upstream), upstream_timeout=0.5)
    response = post(client, f"{CREATE}?user_id=783214")

    assert code == refusal(response)
    if code == (429, 88):
        assert {k: response.headers[k] for k in LIMITS} == LIMITS


def test_an_upstream_refusing_connections_is_130(make_client: MakeClient):
    client = make_client(upstream_url=f"http://127.0.0.1:{free_port()}")  # nothing listens

    assert refusal(post(client, f"{CREATE}?user_id=783214")) == (503, 130)


def test_a_slow_upstream_is_cut_off_at_the_deadline(make_client: MakeClient):
    client = make_client(answer_all(SILENCE), upstream_timeout=0.3)
    started = time.monotonic()
    response = post(client, f"{CREATE}?user_id=783214")

    assert refusal(response) == (503, 130)
    assert time.monotonic() - started < 2


def test_a_body_that_is_not_utf8(make_client: MakeClient, fake_v2: FakeV2):
    headers = {**sign("POST", CREATE), "Content-Type": "application/x-www-form-urlencoded"}
    response = make_client().post(CREATE, content=b"screen_name=\xff\xfe", headers=headers)

    assert refusal(response) == (400, 215)
    assert fake_v2.calls == []


@pytest.mark.parametrize(
    "user",
    [
        {"data": {"id": "783214"}},  # no name, username or created_at
        {"data": {"name": "x", "username": "x"}},  # no id
        {"data": {"id": "783214", "name": "x", "username": "x", "created_at": "yesterday"}},
    ],
)
def test_a_user_lookup_missing_what_v11_needs(make_client: MakeClient, fake_v2: FakeV2, user):
    """A v2 answer that parses but lacks the user's fields is v2's fault: code 131, not a crash."""
    fake_v2.canned[("GET", "/2/users/by/username/Twitter")] = v2_response(200, user)

    assert refusal(post(make_client(), f"{CREATE}?screen_name=Twitter")) == (500, 131)


def test_independent_calls_are_in_flight_together(make_client: MakeClient, fake_v2: FakeV2):
    """Each call waits for the other to arrive: sent one after the other, both would time out."""
    arrived: list[str] = []
    both = asyncio.Event()

    async def meet(request: httpx2.Request) -> Answer:
        arrived.append(request.method)
        if len(arrived) == 2:
            both.set()
        await asyncio.wait_for(both.wait(), timeout=1)
        return fake_v2(request)

    response = post(make_client(meet), f"{CREATE}?user_id=783214")

    assert response.status_code == 200
    assert sorted(arrived) == ["GET", "POST"]


def test_an_oauth2_user_token_mutes_without_any_secret(make_client: MakeClient, fake_v2: FakeV2):
    """The shim holds nothing for it: v2 checks it, and /2/users/me names the caller, once."""
    client = make_client(db_path=":memory:")
    headers = {"Authorization": f"Bearer {CAROL.token}"}
    first = client.post(f"{CREATE}?screen_name=Twitter", headers=headers)
    second = client.post(f"{DESTROY}?screen_name=Twitter", headers=headers)

    assert (first.status_code, second.status_code) == (200, 200)
    assert fake_v2.paths().count(("GET", "/2/users/me")) == 1
    assert ("POST", f"/2/users/{CAROL.user_id}/muting") in fake_v2.paths()
    assert {r.headers["authorization"] for r in fake_v2.calls} == {f"Bearer {CAROL.token}"}


def test_an_app_only_token_cannot_mute(make_client: MakeClient, fake_v2: FakeV2):
    response = make_client().post(
        f"{CREATE}?user_id=783214", headers={"Authorization": f"Bearer {APP_ONLY}"}
    )

    assert refusal(response) == (403, 220)
    assert fake_v2.calls == []


def test_a_revoked_oauth2_token_is_89(make_client: MakeClient, fake_v2: FakeV2):
    response = make_client().post(
        f"{CREATE}?user_id=783214", headers={"Authorization": "Bearer fake-revoked-token"}
    )

    assert refusal(response) == (401, 89)
    assert fake_v2.paths() == [("GET", "/2/users/me")]


def test_a_repeated_screen_name_costs_no_lookup(make_client: MakeClient, fake_v2: FakeV2):
    client = make_client()
    for url in (
        f"{CREATE}?screen_name=Twitter",
        f"{DESTROY}?screen_name=Twitter",
        f"{CREATE}?screen_name=Twitter",
    ):
        assert post(client, url).status_code == 200

    # The unmute looks the user up afresh: whether the caller mutes them decides 272.
    assert fake_v2.paths().count(("GET", "/2/users/by/username/Twitter")) == 2
    assert fake_v2.paths().count(("POST", f"/2/users/{ALICE.user_id}/muting")) == 2
    stats = client.app.state.resources.stats()["users"]  # type: ignore[attr-defined]
    assert (stats["hits"], stats["misses"]) == (1, 1)


def test_cached_lookups_expire(make_client: MakeClient, fake_v2: FakeV2):
    client = make_client(cache_ttl=0)
    post(client, f"{CREATE}?screen_name=Twitter")
    post(client, f"{CREATE}?screen_name=Twitter")

    assert fake_v2.paths().count(("GET", "/2/users/by/username/Twitter")) == 2


def test_a_missing_user_is_not_cached(make_client: MakeClient, fake_v2: FakeV2):
    client = make_client()
    post(client, f"{CREATE}?screen_name=nobody")
    post(client, f"{CREATE}?screen_name=nobody")

    assert fake_v2.paths().count(("GET", "/2/users/by/username/nobody")) == 2


def test_stats_need_the_admin_token(make_client: MakeClient):
    closed = make_client()
    assert refusal(closed.get(f"{BASE}/_shim/stats")) == (404, 34)

    client = make_client(admin_token=ADMIN_TOKEN)
    refused = client.get(f"{BASE}/_shim/stats", headers={"Authorization": "Bearer no"})
    assert (refused.status_code, refused.headers["www-authenticate"]) == (401, 'Basic realm="shim"')
    post(client, f"{CREATE}?screen_name=Twitter")
    stats = client.get(f"{BASE}/_shim/stats", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})

    assert stats.json()["users"] == {"hits": 0, "misses": 1, "entries": 1}


def test_mute_list_pages_walk_every_muted_user_once(make_client: MakeClient, fake_v2: FakeV2):
    """Cursors the shim hands out come back and lead on, until next_cursor is 0."""
    muted = {str(n) for n in range(1000, 1047)}
    fake_v2.muted |= {(ALICE.user_id, target) for target in muted}
    client = make_client()
    seen: list[str] = []
    cursor = "-1"
    while cursor != "0":
        url = f"{BASE}/1.1/mutes/users/list.json?cursor={cursor}&count=10"
        page = client.get(url, headers=sign("GET", url)).json()
        seen += [user["id_str"] for user in page["users"]]
        cursor = page["next_cursor_str"]

    assert sorted(seen) == sorted(muted)
    assert len(seen) == len(muted)


def test_a_forgotten_cursor_is_refused(make_client: MakeClient, fake_v2: FakeV2):
    url = f"{BASE}/1.1/mutes/users/ids.json?cursor=1234567890"

    assert refusal(make_client().get(url, headers=sign("GET", url))) == (403, 195)
    assert fake_v2.calls == []
