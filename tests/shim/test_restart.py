"""A restart with the embedded default (the SQLite file) undoes nothing: issued cursors still
work, the all-v1 switch stays where the operator put it, and nonces are still remembered."""

from dataclasses import replace

from starlette.testclient import TestClient

from shim.config import Settings
from shim.serving.app import create_app
from tests.fakes import ALICE, FakeV2, sign

BASE = "http://testserver"
IDS = f"{BASE}/1.1/mutes/users/ids.json?count=20"
CREATE = f"{BASE}/1.1/mutes/users/create.json?user_id=783214"
ADMIN = {"Authorization": "Bearer fake-admin-token-of-32-characters"}


def restarted(settings: Settings) -> TestClient:
    """A new process on the same SQLite file: nothing in memory survives."""
    changed = replace(settings, admin_token="fake-admin-token-of-32-characters")
    return TestClient(create_app(changed))


def test_issued_cursors_outlive_a_restart(settings: Settings, fake_v2: FakeV2):
    fake_v2.muted |= {(ALICE.user_id, str(n)) for n in range(1000, 1030)}
    with restarted(settings) as before:
        page = before.get(IDS, headers=sign("GET", IDS)).json()

    rest = f"{IDS}&cursor={page['next_cursor_str']}"
    with restarted(settings) as after:
        answer = after.get(rest, headers=sign("GET", rest))

    assert answer.status_code == 200, answer.text
    assert len(page["ids"]) + len(answer.json()["ids"]) == 30


def test_the_all_v1_switch_outlives_a_restart(settings: Settings, fake_v2: FakeV2):
    with restarted(settings) as before:
        before.post(f"{BASE}/_shim/all-v1?on=true", headers=ADMIN)

    fake_v2.calls.clear()
    with restarted(settings) as after:
        after.post(CREATE, headers=sign("POST", CREATE))

    assert fake_v2.paths() == [("POST", "/1.1/mutes/users/create.json")]
