"""The calls v2 cannot serve: never the upstream's bare 453, whatever the routing says, and
counted per endpoint; and application/rate_limit_status, answered by the shim itself."""

from pathlib import Path

import pytest

from mappings.unserved import RATE_LIMIT_STATUS, UNSERVED
from shim.stores.memory import PerCaller
from tests.conftest import MakeClient
from tests.fakes import ALICE, APP_ONLY, BOB, CAROL, ERRORS, FakeV2, rate_limits, sign, v2_response

BASE = "http://testserver"
BLOCK = f"{BASE}/1.1/blocks/create.json?screen_name=Twitter"
LIMITS = f"{BASE}/1.1/application/rate_limit_status.json"
ADMIN_TOKEN = "fake-admin-token-of-32-characters"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
TO_V1 = '[routes."blocks/create"]\nmode = "v1"\n'


@pytest.fixture
def routed(make_client: MakeClient, tmp_path: Path):
    def make(text: str = ""):
        path = tmp_path / "routing.toml"
        path.write_text(text)
        return make_client(config_path=str(path), admin_token=ADMIN_TOKEN)

    return make


def refusal(response) -> tuple[int, int, str]:
    (error,) = response.json()["errors"]
    return response.status_code, error["code"], error["message"]


def test_a_block_is_answered_without_an_upstream_call_and_says_why(routed, fake_v2: FakeV2):
    client = routed()
    response = client.post(BLOCK, headers=sign("POST", BLOCK))

    status, code, message = refusal(response)
    assert (status, code) == (410, 251)
    assert "API v2 offers no replacement for POST blocks/create on self-serve access" in message
    assert response.headers["content-type"] == "application/json;charset=utf-8"
    assert fake_v2.calls == []


def test_unserved_calls_are_counted_per_endpoint(routed):
    client = routed()
    for _ in range(2):
        client.post(BLOCK, headers=sign("POST", BLOCK))
    metrics = client.get(f"{BASE}/metrics", headers=ADMIN).text
    page = client.get(f"{BASE}/_shim/", auth=("admin", ADMIN_TOKEN)).text

    assert 'shim_unserved_total{backend="v2",endpoint="blocks/create"} 2.0' in metrics
    assert 'shim_requests_total{backend="v2",endpoint="blocks/create",status="410"} 2.0' in metrics
    assert "<h2>blocks/create</h2>" in page
    assert "no v2 replacement: 2 answered 410, code 251" in page


@pytest.mark.parametrize(("method", "path"), [row for row in UNSERVED if row != RATE_LIMIT_STATUS])
def test_every_unserved_call_gets_the_clear_error(make_client, fake_v2, method, path):
    url = BASE + path.replace(":id", "1234")
    response = make_client().request(method, url, headers=sign(method, url))

    assert refusal(response)[:2] == (410, 251)
    assert fake_v2.calls == []


def test_routed_to_v1_a_tier_refusal_becomes_the_clear_error(routed, fake_v2: FakeV2):
    fake_v2.canned[("POST", "/1.1/blocks/create.json")] = v2_response(
        403, ERRORS["tier_without_access"]
    )
    client = routed(TO_V1)
    response = client.post(BLOCK, headers=sign("POST", BLOCK))
    metrics = client.get(f"{BASE}/metrics", headers=ADMIN).text

    status, code, message = refusal(response)
    assert (status, code) == (410, 251)
    assert "no replacement" in message
    assert fake_v2.paths() == [("POST", "/1.1/blocks/create.json")]
    assert 'shim_unserved_total{backend="v1",endpoint="blocks/create"} 1.0' in metrics


def test_routed_to_v1_an_enterprise_answer_passes_through(routed, fake_v2: FakeV2):
    """An app whose v1.1 access still has the endpoint gets v1.1's own answer."""
    response = routed(TO_V1).post(BLOCK, headers=sign("POST", BLOCK))

    assert response.status_code == 200
    assert response.json()["path"] == "/1.1/blocks/create.json"
    assert response.json()["query"] == "screen_name=Twitter"


def test_the_operators_override_reaches_v1_only_with_the_admin_token(routed, fake_v2: FakeV2):
    client = routed()
    asks = {"X-Shim-Backend": "v1"}
    without = client.post(BLOCK, headers={**sign("POST", BLOCK), **asks})
    with_token = client.post(
        BLOCK, headers={**sign("POST", BLOCK), **asks, "X-Shim-Admin-Token": ADMIN_TOKEN}
    )

    assert without.status_code == 410
    assert with_token.status_code == 200


def test_the_signature_is_checked_first(make_client, fake_v2: FakeV2):
    response = make_client().post(BLOCK, headers=sign("POST", BLOCK, consumer_secret="wrong"))

    assert refusal(response)[:2] == (401, 32)
    assert fake_v2.calls == []


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", BLOCK),  # another method: no page, as v1.1 had none
        ("POST", f"{BASE}/1.1/BLOCKS/create.json"),  # another spelling: never passed through
        ("POST", f"{BASE}/1.1/blocks/create.json/"),
    ],
)
def test_other_methods_and_spellings_are_no_page(make_client, fake_v2: FakeV2, method, url):
    response = make_client().request(method, url, headers=sign(method, url))

    assert refusal(response)[:2] == (404, 34)
    assert fake_v2.calls == []


def test_rate_limit_status_is_answered_by_the_shim(make_client, fake_v2: FakeV2):
    client = make_client()
    response = client.get(LIMITS, headers=sign("GET", LIMITS))

    assert response.status_code == 200
    assert fake_v2.calls == []
    body = response.json()
    assert body["rate_limit_context"] == {"access_token": ALICE.token}
    assert body["resources"]["mutes"]["/mutes/users/ids"]["limit"] == 100  # published, Basic


def test_rate_limit_status_reports_the_windows_seen_for_that_caller(
    make_client, fake_v2: FakeV2, monkeypatch
):
    reset = 4_000_000_000  # a window still open
    ids = f"{BASE}/1.1/mutes/users/ids.json"
    timeline = f"{BASE}/1.1/lists/statuses.json"
    client = make_client()
    listed = fake_v2.listed

    def later(token, source, relation, params):
        answer = listed(token, source, relation, params)
        answer.headers.update(rate_limits(15, 11, reset))
        return answer

    monkeypatch.setattr(fake_v2, "listed", later)
    client.get(ids, headers=sign("GET", ids))
    client.get(timeline, headers=sign("GET", timeline))  # passed through: v1.1's own window
    url = f"{LIMITS}?resources=mutes,lists"
    mine = client.get(url, headers=sign("GET", url)).json()
    theirs = client.get(url, headers=sign("GET", url, token=BOB)).json()

    assert mine["resources"]["mutes"]["/mutes/users/ids"] == {
        "limit": 15,
        "remaining": 11,
        "reset": reset,
    }
    assert mine["resources"]["lists"] == {
        "/lists/statuses": {"limit": 75, "remaining": 74, "reset": 4_100_000_000}
    }
    assert set(mine["resources"]) == {"mutes", "lists"}
    assert theirs["resources"]["mutes"]["/mutes/users/ids"]["limit"] == 100


def test_rate_limit_status_for_oauth2_tokens(make_client, fake_v2: FakeV2):
    """A user's OAuth 2.0 token is a secret: the context names its user. An app-only token
    names no caller whose windows to tell."""
    client = make_client()
    user = client.get(LIMITS, headers={"Authorization": f"Bearer {CAROL.token}"})
    app = client.get(LIMITS, headers={"Authorization": f"Bearer {APP_ONLY}"})

    assert user.json()["rate_limit_context"] == {"user_id": CAROL.user_id}
    assert CAROL.token not in user.text
    assert refusal(app)[:2] == (403, 220)


def test_an_app_only_token_routed_to_v1_passes_through(routed, fake_v2: FakeV2):
    url = f"{BASE}/1.1/statuses/oembed.json?id=20"
    client = routed('[routes."statuses/oembed"]\nmode = "v1"\n')
    client.get(url, headers={"Authorization": f"Bearer {APP_ONLY}"})

    assert fake_v2.paths() == [("GET", "/1.1/statuses/oembed.json")]
    assert fake_v2.calls[-1].headers["authorization"] == f"Bearer {APP_ONLY}"


def test_rate_limit_status_routed_to_v1_passes_through(routed, fake_v2: FakeV2):
    client = routed('[routes."application/rate_limit_status"]\nmode = "v1"\n')
    response = client.get(LIMITS, headers=sign("GET", LIMITS))

    assert response.json()["path"] == "/1.1/application/rate_limit_status.json"


def test_one_caller_can_push_out_only_its_own_windows():
    kept: PerCaller[int] = PerCaller(callers=3, per_caller=2)
    kept.put("alice", "/a", 1)
    for n in range(100):
        kept.put("mallory", f"/m{n}", n)

    assert kept.items("alice") == [("/a", 1)]
    assert kept.items("mallory") == [("/m98", 98), ("/m99", 99)]
    for caller in ("b", "c", "d"):
        kept.put(caller, "/x", 0)
    assert kept.items("alice") == kept.items("mallory") == []  # the least recently written
    assert len(kept) == 3
