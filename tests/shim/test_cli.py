"""`shim tokens …` and `shim serve`'s refusals, run through `main` as a user runs them."""

import io
import os
import stat
from pathlib import Path

import pytest

from shim.config import ConfigError, Settings
from shim.operator.cli import main
from shim.stores.tokens import mask
from tests.fakes import ALICE, BOB
from tests.stored import Stored


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "tokens.db"
    monkeypatch.setenv("SHIM_DB", str(path))
    return path


def add(token: str, secret: str, *options: str) -> int:
    """`shim tokens add`, the secret given on standard input as a script would pipe it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", io.StringIO(secret + "\n"))
        return main(["tokens", "add", "--token", token, *options])


def test_tokens_add_list_remove(db: Path, capsys: pytest.CaptureFixture[str]):
    assert add(ALICE.token, ALICE.secret) == 0
    assert add(BOB.token, BOB.secret) == 0
    assert main(["tokens", "list"]) == 0
    assert main(["tokens", "remove", "--token", ALICE.token]) == 0
    assert main(["tokens", "remove", "--token", ALICE.token]) == 2

    out = capsys.readouterr().out
    assert mask(ALICE.token) in out
    assert mask(BOB.token) in out
    for secret in (ALICE.secret, BOB.secret, ALICE.token, BOB.token):
        assert secret not in out
    assert Stored(str(db)).secret(ALICE.token) is None
    assert BOB.secret == Stored(str(db)).secret(BOB.token)


def test_the_secret_can_come_from_standard_input(db: Path, monkeypatch: pytest.MonkeyPatch):
    """So it stays out of shell history and the process list."""
    monkeypatch.setattr("sys.stdin", io.StringIO(ALICE.secret + "\n"))

    assert main(["tokens", "add", "--token", ALICE.token]) == 0
    assert ALICE.secret == Stored(str(db)).secret(ALICE.token)


def test_the_store_is_readable_by_its_owner_only(db: Path):
    add(ALICE.token, ALICE.secret)

    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600


def test_adding_again_with_replace_replaces_the_secret(db: Path):
    add(ALICE.token, "fake-old")
    add(ALICE.token, "fake-new", "--replace")

    assert Stored(str(db)).secret(ALICE.token) == "fake-new"
    assert len(Stored(str(db)).list()) == 1


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
        {"SHIM_BREAKER_WINDOW": "0"},
        {"SHIM_BREAKER_MIN_CALLS": "2.5"},
        {"SHIM_BREAKER_FAILURE_RATE": "0"},
        {"SHIM_BREAKER_FAILURE_RATE": "101"},
        {"SHIM_BREAKER_PROBES": "0"},
        {"SHIM_BREAKER_COOLDOWN": "later"},
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


KEY = "0fake0fake0fake0fake0fake0fake0fake0fake0fk="  # a well-formed, obviously fake Fernet key
OTHER_KEY = "1fake1fake1fake1fake1fake1fake1fake1fake1fk="


def test_secrets_are_encrypted_at_rest_with_the_key(db: Path, monkeypatch, capsys):
    monkeypatch.setenv("SHIM_SECRET_KEY", KEY)
    assert add(ALICE.token, ALICE.secret) == 0
    assert main(["tokens", "list"]) == 0

    assert ALICE.secret.encode() not in db.read_bytes()
    assert "secret encrypted" in capsys.readouterr().out
    assert Stored(str(db), KEY).secret(ALICE.token) == ALICE.secret


@pytest.mark.parametrize(
    ("key", "complaint"),
    [(None, "set SHIM_SECRET_KEY"), (OTHER_KEY, "is not the key"), ("short", "Fernet key")],
)
def test_an_encrypted_store_refuses_a_missing_or_wrong_key(db: Path, key, complaint):
    Stored(str(db), KEY).add(ALICE.token, ALICE.secret)

    with pytest.raises(ConfigError, match=complaint):
        Stored(str(db), key)


def test_serve_with_the_wrong_key_stops_with_a_clear_message(db: Path, monkeypatch, capsys):
    Stored(str(db), KEY).add(ALICE.token, ALICE.secret)
    monkeypatch.setenv("SHIM_CONSUMER_KEY", "fakekey000")
    monkeypatch.setenv("SHIM_CONSUMER_SECRET", "fakesecret")
    monkeypatch.setenv("SHIM_SECRET_KEY", OTHER_KEY)

    assert main(["serve", "--port", "1"]) == 2
    assert "SHIM_SECRET_KEY is not the key" in capsys.readouterr().err


def test_a_store_from_before_encryption_is_migrated(db: Path, monkeypatch, capsys):
    """Secrets written in clear stay readable, and `shim tokens encrypt` seals them."""
    import sqlite3

    old = sqlite3.connect(db)  # the first version's schema: no encrypted column, no meta table
    old.execute("CREATE TABLE tokens (token TEXT PRIMARY KEY, secret TEXT NOT NULL, added_at TEXT)")
    old.execute("INSERT INTO tokens VALUES (?, ?, '2026-01-01T00:00:00Z')", (BOB.token, BOB.secret))
    old.commit()
    old.close()
    monkeypatch.setenv("SHIM_SECRET_KEY", KEY)

    assert main(["tokens", "encrypt"]) == 0
    assert main(["tokens", "encrypt"]) == 0

    assert capsys.readouterr().out.splitlines() == ["encrypted 1 secrets", "encrypted 0 secrets"]
    assert BOB.secret.encode() not in db.read_bytes()
    assert Stored(str(db), KEY).secret(BOB.token) == BOB.secret


def test_new_key_prints_a_usable_key(capsys):
    assert main(["tokens", "new-key"]) == 0
    key = capsys.readouterr().out.strip()

    store = Stored(":memory:", key)
    store.add(ALICE.token, ALICE.secret)
    assert store.secret(ALICE.token) == ALICE.secret


def test_a_removed_secret_leaves_no_trace_in_the_file(db: Path):
    """Debian's SQLite zeroes deleted data by default; the shim asks for it on every build."""
    store = Stored(str(db))
    for n in range(50):  # enough rows that pages are reused, not just rewritten
        store.add(f"{n}-fake-token-{n:04d}", f"fake-secret-{n:04d}")
    store.remove("7-fake-token-0007")
    store.close()

    assert b"fake-secret-0007" not in db.read_bytes()


def test_a_secret_on_the_command_line_is_refused(db: Path, capsys: pytest.CaptureFixture[str]):
    """Arguments are in the process list (ps, /proc/…/cmdline) and the shell's history."""
    assert main(["tokens", "add", "--token", ALICE.token, "--secret", ALICE.secret]) == 2

    line = capsys.readouterr().err
    assert line.count("\n") == 1
    assert "process list" in line
    assert "SHIM_TOKEN_SECRET" in line
    assert ALICE.secret not in line
    assert not db.exists() or Stored(str(db)).secret(ALICE.token) is None


def test_the_secret_can_come_from_the_environment(db: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SHIM_TOKEN_SECRET", ALICE.secret)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    assert main(["tokens", "add", "--token", ALICE.token]) == 0
    assert ALICE.secret == Stored(str(db)).secret(ALICE.token)


def test_the_secret_is_asked_for_at_a_terminal(db: Path, monkeypatch: pytest.MonkeyPatch):
    asked = []

    def prompt(text: str) -> str:
        asked.append(text)
        return ALICE.secret

    terminal = io.StringIO("")
    terminal.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr("sys.stdin", terminal)
    monkeypatch.setattr("getpass.getpass", prompt)

    assert main(["tokens", "add", "--token", ALICE.token]) == 0
    assert asked == ["token secret: "]
    assert ALICE.secret == Stored(str(db)).secret(ALICE.token)


def test_help_says_where_the_secret_comes_from(capsys: pytest.CaptureFixture[str]):
    assert main(["tokens", "add", "--help"]) == 0

    shown = " ".join(capsys.readouterr().out.split())
    assert "SHIM_TOKEN_SECRET" in shown
    assert "standard input" in shown
    assert "prompt" in shown
