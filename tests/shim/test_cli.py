"""`shim tokens …` and `shim serve`'s refusals, run through `main` as a user runs them."""

import io
import os
import stat
from pathlib import Path

import pytest

from shim.cli import main
from shim.config import ConfigError, Settings
from shim.credentials import TokenStore, mask
from tests.fakes import ALICE, BOB


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "tokens.db"
    monkeypatch.setenv("SHIM_DB", str(path))
    return path


def test_tokens_add_list_remove(db: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["tokens", "add", "--token", ALICE.token, "--secret", ALICE.secret]) == 0
    assert main(["tokens", "add", "--token", BOB.token, "--secret", BOB.secret]) == 0
    assert main(["tokens", "list"]) == 0
    assert main(["tokens", "remove", "--token", ALICE.token]) == 0
    assert main(["tokens", "remove", "--token", ALICE.token]) == 1

    out = capsys.readouterr().out
    assert mask(ALICE.token) in out
    assert mask(BOB.token) in out
    for secret in (ALICE.secret, BOB.secret, ALICE.token, BOB.token):
        assert secret not in out
    assert TokenStore(str(db)).secret(ALICE.token) is None
    assert BOB.secret == TokenStore(str(db)).secret(BOB.token)


def test_the_secret_can_come_from_standard_input(db: Path, monkeypatch: pytest.MonkeyPatch):
    """So it stays out of shell history and the process list."""
    monkeypatch.setattr("sys.stdin", io.StringIO(ALICE.secret + "\n"))

    assert main(["tokens", "add", "--token", ALICE.token]) == 0
    assert ALICE.secret == TokenStore(str(db)).secret(ALICE.token)


def test_the_store_is_readable_by_its_owner_only(db: Path):
    main(["tokens", "add", "--token", ALICE.token, "--secret", ALICE.secret])

    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600


def test_adding_again_replaces_the_secret(db: Path):
    main(["tokens", "add", "--token", ALICE.token, "--secret", "fake-old"])
    main(["tokens", "add", "--token", ALICE.token, "--secret", "fake-new"])

    assert TokenStore(str(db)).secret(ALICE.token) == "fake-new"
    assert len(TokenStore(str(db)).list()) == 1


@pytest.mark.parametrize(
    ("token", "masked"),
    [
        (
            "1500000000000000001-abcdefghijklmnopqrstuvwxyz0123456789ABCD",
            "1500000000000000001-abc…BCD",
        ),
        ("370773112-short", "370773112-…"),
        ("opaque-token-value", "opa…lue"),
        ("tiny", "…"),
    ],
)
def test_masks_show_the_user_not_the_token(token, masked):
    assert masked == mask(token)


def test_serve_needs_the_apps_keys(capsys: pytest.CaptureFixture[str]):
    assert main(["serve"]) == 2
    assert "SHIM_CONSUMER_KEY" in capsys.readouterr().err


def test_serve_needs_both_tls_files(monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.setenv("SHIM_CONSUMER_KEY", "fakekey000")
    monkeypatch.setenv("SHIM_CONSUMER_SECRET", "fakesecret")

    assert main(["serve", "--ssl-certfile", "cert.pem"]) == 2
    assert "--ssl-keyfile" in capsys.readouterr().err
    assert main(["serve", "--ssl-certfile", "nowhere.pem", "--ssl-keyfile", "nowhere.key"]) == 2
    assert "no such file: nowhere.pem" in capsys.readouterr().err


@pytest.mark.parametrize(
    "env",
    [
        {"SHIM_ACCESS_TOKEN": "1-fake"},
        {"SHIM_UPSTREAM_TIMEOUT": "soon"},
        {"SHIM_UPSTREAM_TIMEOUT": "0"},
    ],
)
def test_malformed_settings_are_refused(env):
    with pytest.raises(ConfigError):
        Settings.from_env(env)


def test_settings_from_the_environment():
    settings = Settings.from_env(
        {
            "SHIM_CONSUMER_KEY": "fakekey",
            "SHIM_CONSUMER_SECRET": "fakesecret",
            "SHIM_DB": "/tmp/x.db",
            "SHIM_PUBLIC_URL": "https://shim.example.com",
            "SHIM_UPSTREAM_URL": "http://127.0.0.1:9/",
            "SHIM_UPSTREAM_TIMEOUT": "2.5",
        }
    )

    assert (
        settings.db_path,
        settings.upstream_url,
        settings.upstream_timeout,
    ) == ("/tmp/x.db", "http://127.0.0.1:9", 2.5)
    assert "fakesecret" not in repr(settings)
    assert Settings.from_env({}).upstream_url == "https://api.x.com"
