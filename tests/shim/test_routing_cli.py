"""`shim routing show|set|ramp|reset`: routes kept in the store, read by every instance, each
change checked and audited."""

import json
import time

import pytest

from shim.operator.cli import main
from tests.fakes import ALICE, FakeV2, sign
from tests.shim.test_redis import fresh, redis_url  # noqa: F401 (a fixture)

BASE = "http://testserver"
CREATE = f"{BASE}/1.1/mutes/users/create.json?screen_name=Twitter"


@pytest.fixture
def on_db(settings, monkeypatch):
    monkeypatch.setenv("SHIM_DB", settings.db_path)


def served_by(client, fake: FakeV2, deadline: float = 5.0, wanted: str = "1.1") -> str:
    """Which version served a mute, once the instance has seen the change (it looks once a
    second); "1.1" or "2"."""
    end = time.monotonic() + deadline
    while True:
        fake.calls.clear()
        client.post(CREATE, headers=sign("POST", CREATE))
        version = fake.paths()[-1][1].split("/")[1]
        if version == wanted or time.monotonic() > end:
            return version
        time.sleep(0.1)


@pytest.mark.usefixtures("on_db")
def test_set_changes_a_running_instance_and_leaves_an_audit_line(make_client, fake_v2, capsys):
    client = make_client()
    assert served_by(client, fake_v2, 0, wanted="2") == "2"

    assert main(["routing", "set", "mutes/users/create", "--mode", "v1"]) == 0
    line = capsys.readouterr().out.strip()
    assert served_by(client, fake_v2) == "1.1"

    assert "routing mutes/users/create: " in line
    assert '"mode": "v1"' in line
    assert main(["routing", "show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["routes"]["mutes/users/create"]["mode"] == "v1"
    assert shown["routes"]["mutes/users/create"]["from"] == "store"
    assert shown["audit"] == [line]

    assert main(["routing", "reset", "mutes/users/create"]) == 0
    assert served_by(client, fake_v2, wanted="2") == "2"


@pytest.mark.usefixtures("on_db")
def test_a_ramp_and_lists_through_the_command(capsys):
    assert (
        main(["routing", "ramp", "users/show", "--from", "0", "--to", "100", "--over", "2h"]) == 0
    )
    assert main(["routing", "set", "users/show", "--deny", ALICE.user_id]) == 0
    capsys.readouterr()
    assert main(["routing", "show"]) == 0
    text = capsys.readouterr().out

    assert "users/show: v2, 0% of users now" in text
    assert f"deny ['{ALICE.user_id}']" in text
    assert "'seconds': 7200.0, 'begin': 0, 'end': 100" in text


@pytest.mark.usefixtures("on_db")
def test_a_bad_change_is_refused_in_one_line_and_not_stored(capsys):
    assert main(["routing", "set", "users/show", "--rollout", "250"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "rollout must be" in err[0]
    assert main(["routing", "show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["audit"] == []


def test_with_redis_every_instance_agrees(make_client, fake_v2, redis_url, monkeypatch, capsys):  # noqa: F811
    fresh(redis_url)
    first, second = (make_client(redis_url=redis_url), make_client(redis_url=redis_url))
    monkeypatch.setenv("SHIM_REDIS_URL", redis_url)

    assert main(["routing", "set", "mutes/users/create", "--mode", "v1"]) == 0
    capsys.readouterr()

    assert served_by(first, fake_v2) == "1.1"
    assert served_by(second, fake_v2) == "1.1"
    assert main(["routing", "show", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["audit"]) == 1
