"""`shim check` against the fake upstream: each way an operator's set-up can be wrong at X is
reported with its fix, before any user's call meets it."""

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import pytest

from shim.config import Settings
from shim.operator.check import Verdict, offline
from shim.operator.cli import main
from shim.operator.online_check import online
from shim.stores.tokens import mask
from tests.fakes import (
    ALICE,
    BOB,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    ERRORS,
    FakeV2,
    serving_fake,
    twitter_user,
    v2_response,
)
from tests.servers import free_port
from tests.stored import Stored


def checked(settings: Settings) -> dict[str, Verdict]:
    """`shim check`'s online half against the test's `fake_v2`, on the socket `settings`
    names."""
    verdicts = asyncio.run(online(settings))
    return {verdict.item: verdict for verdict in verdicts}


def test_a_sound_set_up_is_all_ok(settings, fake_v2):
    found = checked(settings)

    assert {v.status for v in found.values()} == {"ok"}, found
    assert found[f"token {mask(ALICE.token)}"].detail == f"@me ({ALICE.user_id})"
    assert "endpoint mutes/users/create" in found
    assert "muting not tried (a write)" in found["endpoint mutes/users/create"].detail
    # The caller's own user is probed by each token's check, not asked for again.
    tokens = [item for item in found if item.startswith("token ")]
    assert fake_v2.paths().count(("GET", "/2/users/me")) == len(tokens) > 0


def test_a_bad_consumer_secret(settings, fake_v2):
    found = checked(replace(settings, consumer_secret="fake-wrong-secret"))

    keys = found["app keys at X"]
    assert keys.status == "error"
    assert "SHIM_CONSUMER_SECRET" in keys.fix
    # Each token would be refused as well, for the keys: none is called revoked (issue 25).
    assert found["tokens at X"].status == "warn"
    assert "not asked" in found["tokens at X"].detail
    assert not [item for item in found if item.startswith("token ")]
    assert ("GET", "/2/users/me") not in fake_v2.paths()


def test_a_revoked_token(settings, fake_v2):
    del fake_v2.tokens[BOB.token]
    found = checked(settings)

    revoked = found[f"token {mask(BOB.token)}"]
    assert (revoked.status, found[f"token {mask(ALICE.token)}"].status) == ("error", "ok")
    assert "revoked" in revoked.detail
    assert f"shim tokens remove --token {mask(BOB.token)}" in revoked.fix
    assert found["app keys at X"].status == "ok"  # the keys are fine: only the token is not


def test_keys_x_could_not_judge_are_not_called_wrong_nor_right(settings, fake_v2):
    """oauth/request_token answering neither 200 nor 401 leaves the keys unknown: the tokens
    are still asked, and a refused one names the keys as a possible cause."""
    fake_v2.canned[("POST", "/oauth/request_token")] = v2_response(404, ERRORS["forbidden"])
    del fake_v2.tokens[BOB.token]
    found = checked(settings)

    keys = found["app keys at X"]
    assert (keys.status, found[f"token {mask(ALICE.token)}"].status) == ("warn", "ok")
    assert "answered 404" in keys.detail
    refused = found[f"token {mask(BOB.token)}"]
    assert refused.status == "error"
    assert "or the app's keys are wrong" in refused.detail


def test_a_token_refused_for_another_reason_says_v2s_code(settings, fake_v2):
    fake_v2.canned[("GET", "/2/users/me")] = v2_response(429, ERRORS["too_many_requests"])
    found = checked(settings)

    token = found[f"token {mask(ALICE.token)}"]
    assert token.status == "error"
    assert token.detail.startswith("88: ")
    assert "revoked" not in token.detail


def test_a_token_whose_answer_names_no_user(settings, fake_v2):
    fake_v2.canned[("GET", "/2/users/me")] = v2_response(200, {"data": {}})
    found = checked(settings)

    assert found[f"token {mask(ALICE.token)}"].detail == "/2/users/me answered no user"
    assert not [item for item in found if item.startswith("endpoint ")]  # nothing to probe with


def test_a_tier_without_lookup_by_username(settings, fake_v2):
    fake_v2.canned[("GET", "/2/users/by/username/me")] = v2_response(
        403, ERRORS["tier_without_access"]
    )
    found = checked(settings)

    show = found["endpoint users/show"]
    assert show.status == "warn"  # by user_id it still works
    assert "user lookup by username" in show.detail
    assert "453" in show.detail
    assert "access level" in show.fix
    assert "route users/show to v1" in show.fix
    assert found["endpoint mutes/users/ids"].status == "ok"


def test_a_tier_without_the_block_list(settings, fake_v2):
    """The block list's own probe, as its row names it; the mute list is another kind."""
    path = f"/2/users/{ALICE.user_id}/blocking"
    fake_v2.canned[("GET", path)] = v2_response(403, ERRORS["tier_without_access"])
    found = checked(settings)

    blocks = found["endpoint blocks/ids"]
    assert blocks.status == "error"
    assert "the block list" in blocks.detail
    assert "GET /2/users/:id/blocking needs X's Free plan or higher" in blocks.detail
    assert "route blocks/ids to v1" in blocks.fix
    assert found["endpoint mutes/users/ids"].status == "ok"
    assert ("GET", path) in fake_v2.paths()


def test_an_app_outside_a_project(settings, fake_v2):
    fake_v2.canned[("GET", "/2/users/me")] = v2_response(403, ERRORS["client_not_enrolled"])
    found = checked(settings)

    token = found[f"token {mask(ALICE.token)}"]
    assert token.status == "error"
    assert "Project" in token.detail
    assert "Project" in token.fix


def test_an_unreachable_upstream(settings, fake_v2):
    unreachable = replace(settings, upstream_url=f"http://127.0.0.1:{free_port()}")
    found = checked(unreachable)

    assert found["upstream"].status == "error"
    assert "ConnectError" in found["upstream"].detail
    assert "SHIM_UPSTREAM_URL" in found["upstream"].fix


def test_offline_finds_no_tokens_and_a_broken_routing_file(tmp_path: Path):
    routing = tmp_path / "routing.toml"
    routing.write_text('[routes."mutes/users/create"]\nmode = "sideways"\n')
    settings = Settings(
        CONSUMER_KEY, CONSUMER_SECRET, str(tmp_path / "s.db"), config_path=str(routing)
    )
    found = {verdict.item: verdict for verdict in offline(settings)}

    assert found["tokens"].status == "warn"
    assert "shim tokens add" in found["tokens"].fix
    assert found["routing file"].status == "error"
    assert "mode" in found["routing file"].detail


def test_the_command_against_a_real_socket(settings, monkeypatch, capsys):
    """What an operator runs: text, then JSON; exit 1 on an error, each line with its fix."""
    fake = FakeV2(twitter_user())
    del fake.tokens[BOB.token]
    for name, value in {
        "SHIM_CONSUMER_KEY": CONSUMER_KEY,
        "SHIM_CONSUMER_SECRET": CONSUMER_SECRET,
        "SHIM_DB": settings.db_path,
    }.items():
        monkeypatch.setenv(name, value)
    with serving_fake(fake) as url:
        monkeypatch.setenv("SHIM_UPSTREAM_URL", url)
        status = main(["check"])
        text = capsys.readouterr().out
        assert main(["check", "--json"]) == status
        machine = json.loads(capsys.readouterr().out)

    assert status == 1
    assert f"ERROR token {mask(BOB.token)}: v2 refuses it" in text
    assert "OK    upstream" in text
    for secret in (ALICE.token, ALICE.secret, BOB.token, BOB.secret, CONSUMER_SECRET):
        assert secret not in text
    assert {"item", "status", "detail", "fix"} == set(machine[0])


def test_serve_refuses_a_broken_routing_file_and_warns_of_no_tokens(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SHIM_CONSUMER_KEY", CONSUMER_KEY)
    monkeypatch.setenv("SHIM_CONSUMER_SECRET", CONSUMER_SECRET)
    monkeypatch.setenv("SHIM_DB", str(tmp_path / "empty.db"))
    routing = tmp_path / "routing.toml"
    routing.write_text("all_v1 = 3\n")

    assert main(["serve", "--config", str(routing)]) == 2
    err = capsys.readouterr().err
    assert "shim: warning: tokens: none configured" in err
    assert "routing file" in err
    assert "all_v1" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("store_mode", [0o644])
def test_a_store_others_can_read_is_reported(settings, store_mode):
    import os

    os.chmod(settings.db_path, store_mode)
    found = {verdict.item: verdict for verdict in offline(settings)}

    assert found["SHIM_DB"].status == "warn"
    assert "chmod 600" in found["SHIM_DB"].fix
    assert Stored(settings.db_path).secret(ALICE.token) == ALICE.secret


def test_an_unreachable_redis_is_one_verdict(settings):
    from tests.servers import free_port

    found = {
        v.item: v
        for v in offline(replace(settings, redis_url=f"redis://127.0.0.1:{free_port()}/0"))
    }

    assert found["token store"].status == "error"
    assert "cannot reach Redis" in found["token store"].detail


def test_a_large_store_is_checked_only_in_part(settings, fake_v2):
    """Each check spends one of the user's /2/users/me calls: a store of many users must not
    spend them all (nor take minutes)."""
    store = Stored(settings.db_path)
    for n in range(15):
        store.add(f"{n}-fake-token-{n:04d}", f"fake-secret-{n:04d}")
    store.close()
    found = checked(settings)

    asked = [call for call in fake_v2.calls if call.url.path == "/2/users/me"]
    assert len(asked) == 10
    assert "7 more not asked about" in found["tokens at X"].detail
