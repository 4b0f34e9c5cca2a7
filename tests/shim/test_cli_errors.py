"""Every way an operator can get the set-up wrong answers one clear line and a non-zero exit,
never a traceback (issue 12's findings, each run through `main` as the shell runs it)."""

import subprocess
import sys
from pathlib import Path

import pytest

from shim.operator.certs import issue
from shim.operator.cli import main
from shim.stores.tokens import mask
from tests.fakes import ALICE, BOB, CONSUMER_KEY, CONSUMER_SECRET
from tests.servers import serving
from tests.stored import Stored

APP = {"SHIM_CONSUMER_KEY": CONSUMER_KEY, "SHIM_CONSUMER_SECRET": CONSUMER_SECRET}
ADMIN_TOKEN = "fake-admin-token-of-32-characters"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app's keys and a store in a temporary folder with one token in it."""
    for name, value in APP.items():
        monkeypatch.setenv(name, value)
    db = tmp_path / "shim.db"
    monkeypatch.setenv("SHIM_DB", str(db))
    store = Stored(str(db))
    store.add(ALICE.token, ALICE.secret)
    store.close()
    return tmp_path


async def nothing(scope, receive, send) -> None:
    """An HTTPS server whose certificate the client has no reason to trust."""
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the command; it must fail with one line on stderr, which is returned."""
    status = main(argv)
    err = capsys.readouterr().err
    assert status != 0, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_a_port_out_of_range(env, capsys):
    line = refused(["serve", "--port", "99999"], capsys)
    assert "--port" in line
    assert "65535" in line


def test_a_port_that_is_not_a_number(env, capsys):
    assert "--port" in refused(["serve", "--port", "http"], capsys)


def test_swapped_certificate_and_key(env, capsys):
    issued = issue(env / "certs", ["localhost"])
    line = refused(
        ["serve", "--ssl-certfile", str(issued.key), "--ssl-keyfile", str(issued.cert)], capsys
    )
    assert str(issued.key) in line
    assert "swapped" in line


def test_a_database_in_a_missing_folder(env, monkeypatch, capsys):
    monkeypatch.setenv("SHIM_DB", str(env / "nowhere" / "shim.db"))
    line = refused(["serve"], capsys)
    assert "SHIM_DB" in line
    assert "nowhere" in line
    assert "SHIM_DB" in refused(["tokens", "list"], capsys)


@pytest.mark.parametrize("url", ["127.0.0.1:34045", "ftp://api.x.com", "https://"])
def test_an_upstream_url_without_a_scheme_or_host(env, monkeypatch, capsys, url):
    monkeypatch.setenv("SHIM_UPSTREAM_URL", url)
    line = refused(["serve"], capsys)
    assert "SHIM_UPSTREAM_URL" in line
    assert "https://" in line


def test_stats_with_a_missing_ca_file(env, monkeypatch, capsys):
    monkeypatch.setenv("SHIM_ADMIN_TOKEN", ADMIN_TOKEN)
    line = refused(["stats", "--url", "https://127.0.0.1:9", "--cacert", "nowhere.pem"], capsys)
    assert "nowhere.pem" in line


def test_stats_over_https_with_an_untrusted_certificate_says_so(env, monkeypatch, capsys):
    monkeypatch.setenv("SHIM_ADMIN_TOKEN", ADMIN_TOKEN)
    issued = issue(env / "certs", ["127.0.0.1"])
    with serving(nothing, ssl_certfile=str(issued.cert), ssl_keyfile=str(issued.key)) as port:
        line = refused(["stats", "--url", f"https://127.0.0.1:{port}"], capsys)
    assert "certificate" in line
    assert "--cacert" in line


def test_tokens_add_refuses_to_overwrite_without_replace(env, monkeypatch, capsys):
    monkeypatch.setenv("SHIM_TOKEN_SECRET", "fake-other")
    line = refused(["tokens", "add", "--token", ALICE.token], capsys)
    assert "--replace" in line
    assert mask(ALICE.token) in line
    assert Stored(str(env / "shim.db")).secret(ALICE.token) == ALICE.secret

    monkeypatch.setenv("SHIM_TOKEN_SECRET", "fake-new")
    assert main(["tokens", "add", "--token", ALICE.token, "--replace"]) == 0
    assert Stored(str(env / "shim.db")).secret(ALICE.token) == "fake-new"


@pytest.mark.parametrize("token", ["", "   ", "1500-with space", "tab\there", "ünïcode-token"])
def test_tokens_add_refuses_empty_or_malformed_tokens(env, monkeypatch, capsys, token):
    monkeypatch.setenv("SHIM_TOKEN_SECRET", "fake-secret")
    line = refused(["tokens", "add", "--token", token], capsys)
    assert "token" in line
    assert len(Stored(str(env / "shim.db")).list()) == 1


def test_tokens_list_on_an_empty_store_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SHIM_DB", str(tmp_path / "empty.db"))
    assert main(["tokens", "list"]) == 0
    assert "no tokens stored" in capsys.readouterr().out


def test_tokens_remove_of_an_unknown_token_names_it(env, capsys):
    line = refused(["tokens", "remove", "--token", "tiny"], capsys)
    assert "tiny" not in line  # still masked, but it says which one
    assert "4 characters" in line
    assert "tokens list" in line
    line = refused(["tokens", "remove", "--token", BOB.token], capsys)
    assert mask(BOB.token) in line


def test_help_shows_the_defaults():
    shown = subprocess.run(
        [sys.executable, "-m", "shim", "serve", "--help"], capture_output=True, text=True
    ).stdout
    assert "default: 8080" in shown
    assert "default: 127.0.0.1" in shown


@pytest.mark.parametrize("command", [["serve"], ["check", "--offline"], ["stats"]])
def test_a_short_admin_token_refuses_to_start(env, monkeypatch, capsys, command):
    """A 16-character token falls to guessing far sooner than the 32 asked for."""
    monkeypatch.setenv("SHIM_ADMIN_TOKEN", "fake-admin-token")
    line = refused(command, capsys)
    assert "SHIM_ADMIN_TOKEN" in line
    assert "32" in line
    assert "fake-admin-token" not in line


@pytest.mark.parametrize(
    ("name", "value"),
    [("SHIM_BREAKER_MIN_CALLS", "many"), ("SHIM_BREAKER_FAILURE_RATE", "150")],
)
def test_a_malformed_breaker_setting_stops_serve_with_status_2(
    env, monkeypatch, capsys, name, value
):
    monkeypatch.setenv(name, value)
    assert main(["serve"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert name in line


def test_ctrl_c_at_the_secrets_prompt_stops_without_a_traceback(env, monkeypatch, capsys):
    """An operator who thinks better of `tokens add` at its prompt gets one line and 130, as
    a shell reports an interrupted command, and nothing is stored."""

    def interrupted() -> str:
        raise KeyboardInterrupt

    monkeypatch.delenv("SHIM_TOKEN_SECRET", raising=False)
    monkeypatch.setattr("sys.stdin.readline", interrupted)
    status = main(["tokens", "add", "--token", BOB.token])

    err = capsys.readouterr().err
    assert (status, err) == (130, "shim: interrupted\n")
    assert Stored(str(env / "shim.db")).secret(BOB.token) is None
