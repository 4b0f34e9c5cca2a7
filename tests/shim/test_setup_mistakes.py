"""Issue 25's set-up mistakes, each run as an operator runs it: the real `shim` command in its
own process. Each ends in one line on stderr naming the setting and its fix, exit status 2,
never a traceback (before: sqlite3, redis-py and FileExistsError tracebacks, exit 1; a port in
use or an unknown host was uvicorn's line without the port or host, exit 3)."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from shim import __version__
from shim.operator.cli import parser
from tests.fakes import (
    ALICE,
    BOB,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    FakeV2,
    serving_fake,
    twitter_user,
)
from tests.servers import free_port
from tests.stored import Stored

APP = {
    "SHIM_CONSUMER_KEY": CONSUMER_KEY,
    "SHIM_CONSUMER_SECRET": CONSUMER_SECRET,
    # A token, so `serve` has no warning of none to print before its refusal.
    "SHIM_ACCESS_TOKEN": ALICE.token,
    "SHIM_ACCESS_TOKEN_SECRET": ALICE.secret,
    "SHIM_TOKEN_SECRET": "fake-token-secret",  # for `tokens add`: never a prompt
}
# Every command that opens the store: SHIM_DB's file, or Redis with SHIM_REDIS_URL.
ON_THE_STORE = [
    ["serve"],
    ["check"],
    ["check", "--offline"],
    ["tokens", "add", "--token", "1500-fake"],
    ["tokens", "list"],
    ["tokens", "remove", "--token", "1500-fake"],
    ["tokens", "encrypt"],
    ["compare", "report"],
    ["report"],
    ["routing", "show"],
    ["routing", "set", "users/show", "--mode", "v1"],
]


def run(folder: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`shim ARGV` in `folder` (where ./shim.db and ./certs are), with the app's fake keys and
    `env`, and no other SHIM_* variable."""
    variables = {name: value for name, value in os.environ.items() if not name.startswith("SHIM_")}
    return subprocess.run(
        [sys.executable, "-m", "shim", *argv],
        env={**variables, **APP, **env},
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )


def refused(folder: Path, *argv: str, **env: str) -> str:
    """Run it; it must refuse in one line on stderr, with status 2; that line is returned."""
    done = run(folder, *argv, **env)

    assert "Traceback" not in done.stderr
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("shim: ")
    return line


@pytest.mark.parametrize("command", ON_THE_STORE, ids=" ".join)
def test_a_database_that_is_a_folder(tmp_path, command):
    (tmp_path / "state").mkdir()
    line = refused(tmp_path, *command, SHIM_DB="state")

    assert "SHIM_DB: state is a folder" in line
    assert "SHIM_DB=state/shim.db" in line  # the fix


@pytest.mark.parametrize("command", ON_THE_STORE, ids=" ".join)
def test_a_file_that_is_not_a_database(tmp_path, command):
    (tmp_path / "notes.txt").write_text("not a database, but a note an operator kept\n")
    line = refused(tmp_path, *command, SHIM_DB="notes.txt")

    assert "SHIM_DB: notes.txt is not a SQLite database" in line
    assert "point SHIM_DB at" in line
    assert (tmp_path / "notes.txt").read_text().startswith("not a database")  # left alone


@pytest.mark.parametrize("command", [["serve"], ["tokens", "list"], ["compare", "report"]])
def test_a_damaged_database(tmp_path, command):
    """A SQLite header, then garbage: found when the file is opened, still one line."""
    (tmp_path / "shim.db").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    (tmp_path / "shim.db").chmod(0o600)  # no warning of its mode first
    line = refused(tmp_path, *command)

    assert "SHIM_DB: cannot use ./shim.db" in line


@pytest.mark.parametrize(
    "url",
    [
        "notredis",
        "redis://:secret",  # a password where the port goes: never quoted back
        "redis://localhost:6379/?socket_timeout=soon",
        "redis://localhost:6379/?ssl_cert_reqs=required",  # a TLS option without rediss://
        "redis+cluster://:secret@node1:7000,node2:99999",
    ],
)
@pytest.mark.parametrize("command", [["serve"], ["check"], ["tokens", "list"]], ids=" ".join)
def test_a_malformed_redis_url(tmp_path, command, url):
    line = refused(tmp_path, *command, SHIM_REDIS_URL=url)

    assert line.startswith("shim: SHIM_REDIS_URL: ")
    assert "secret" not in line


def test_certs_out_naming_a_file(tmp_path):
    (tmp_path / "certs").write_text("a file where the folder would go\n")
    line = refused(tmp_path, "certs")

    assert "certs is a file, not a folder" in line
    assert "--out" in line
    assert "--dev-tls" in refused(tmp_path, "serve", "--dev-tls")  # the same folder


def test_a_port_already_in_use(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = refused(tmp_path, "serve", "--port", str(port))

    assert f"--port {port}: something already listens on 127.0.0.1:{port}" in line
    assert "choose another --port" in line


@pytest.mark.parametrize(
    ("host", "said"),
    [
        ("nosuchhost.invalid", "--host nosuchhost.invalid: no such host or address here"),
        ("192.0.2.1", "--host 192.0.2.1 is not an address of this machine"),  # TEST-NET-1
    ],
)
def test_a_host_to_listen_on_that_is_not_here(tmp_path, host, said):
    line = refused(tmp_path, "serve", "--host", host, "--port", str(free_port()))

    assert said in line
    assert "0.0.0.0" in line  # the fix


@pytest.mark.parametrize("command", [["serve"], ["check"]], ids=" ".join)
@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/2", "https://api.x.com/1.1/", "https://h/?a=b"]
)
def test_an_upstream_url_with_a_path_is_refused_at_start(tmp_path, command, url):
    """It was accepted, and every call went to /2/2/… (500, 131); `shim check` blamed the
    app's keys for it."""
    line = refused(tmp_path, *command, SHIM_UPSTREAM_URL=url)

    assert "SHIM_UPSTREAM_URL" in line
    assert "give the origin only" in line
    assert "app's keys" not in line


def test_an_upstream_origin_with_a_slash_is_still_one(tmp_path):
    done = run(tmp_path, "check", "--offline", SHIM_UPSTREAM_URL="https://api.x.com/")

    assert done.returncode == 0, done.stdout + done.stderr


def test_a_wrong_consumer_secret_is_not_every_token_revoked(tmp_path):
    """X refuses a token signed with keys it refuses: before, `shim check` called each token
    "revoked", sending the operator after the wrong fix."""
    store = Stored(str(tmp_path / "shim.db"))
    store.add(BOB.token, BOB.secret)
    store.close()
    fake = FakeV2(twitter_user())
    with serving_fake(fake) as url:
        done = run(
            tmp_path, "check", SHIM_UPSTREAM_URL=url, SHIM_CONSUMER_SECRET="fake-wrong-secret"
        )

    assert done.returncode == 1, done.stderr
    assert "ERROR app keys at X: X refuses the app's keys (401" in done.stdout
    assert "SHIM_CONSUMER_SECRET" in done.stdout
    assert "WARN  tokens at X: not asked" in done.stdout
    assert "revoked" not in done.stdout
    assert ("GET", "/2/users/me") not in fake.paths()


def test_a_certificate_file_that_is_a_folder(tmp_path):
    (tmp_path / "tls").mkdir()
    line = refused(tmp_path, "serve", "--ssl-certfile", "tls", "--ssl-keyfile", "tls/key.pem")

    assert "--ssl-certfile tls is a folder" in line
    assert "no such file" not in line


def test_a_ca_file_that_is_a_folder(tmp_path):
    (tmp_path / "certs").mkdir()
    line = refused(
        tmp_path,
        "stats",
        "--url",
        f"https://127.0.0.1:{free_port()}",
        "--cacert",
        "certs",
        SHIM_ADMIN_TOKEN="fake-admin-token-of-32-characters",
    )

    assert "--cacert certs is a folder" in line


@pytest.mark.parametrize(
    ("cassette", "said"),
    [
        ("nowhere/run.yaml", "--record nowhere/run.yaml: the folder nowhere does not exist"),
        (".", "--record . is a folder"),
    ],
)
def test_a_cassette_that_cannot_be_written_is_refused_at_start(tmp_path, cassette, said):
    """Before, the shim served, and the recording was lost (or made a folder) at the end."""
    assert said in refused(tmp_path, "serve", "--port", str(free_port()), "--record", cassette)
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("given", ["nowhere.toml", "."])
def test_a_routing_file_that_cannot_be_read(tmp_path, given):
    line = refused(tmp_path, "routing", "show", SHIM_CONFIG=given)

    assert f"{given} (SHIM_CONFIG or --config): " in line
    assert "Errno" not in line


def test_routing_show_names_a_primary_only_where_there_is_one(tmp_path):
    """Plain v2 routes read "v2, primary v1" before: compare mode alone serves one version and
    asks the other."""
    (tmp_path / "routing.toml").write_text(
        '[routes."users/show"]\nmode = "compare"\nprimary = "v2"\n'
    )
    done = run(tmp_path, "routing", "show", SHIM_CONFIG="routing.toml")
    lines = {line.partition(":")[0]: line for line in done.stdout.splitlines()}

    assert done.returncode == 0, done.stderr
    assert lines["users/show"].startswith("users/show: compare, serving v2, 100% of users now")
    assert lines["mutes/users/create"].startswith("mutes/users/create: v2, 100% of users now")
    assert "primary" not in done.stdout


def test_version(tmp_path):
    done = run(tmp_path, "--version")

    assert (done.returncode, done.stdout) == (0, f"shim {__version__}\n")


def leaves(command, path=()):
    """Every command's parser, nested ones too, by its words."""
    found = command._subparsers._group_actions[0].choices if command._subparsers else {}
    if not found:
        yield path, command
    for name, sub in found.items():
        yield from leaves(sub, (*path, name))


LEAVES = dict(leaves(parser()))


def test_help_lists_every_command_with_one_line(tmp_path):
    """`check`, `routing`, `tokens encrypt` and `tokens new-key` were left out."""
    done = run(tmp_path, "--help")
    listed = {
        line.split("  ")[1].strip(): line
        for line in done.stdout.splitlines()
        if line.startswith("  ") and not line.lstrip().startswith("-")
    }

    assert done.returncode == 0
    assert {"check", "routing show", "tokens encrypt", "tokens new-key"} <= set(listed)
    assert set(listed) == {" ".join(words) for words in LEAVES}
    assert all(len(line.split()) > 3 for line in listed.values()), listed  # a line each
    assert "--version" in done.stdout


@pytest.mark.parametrize("words", LEAVES, ids=" ".join)
def test_each_command_says_what_it_does_and_each_default(words):
    shown = LEAVES[words].format_help()
    options = [
        action
        for action in LEAVES[words]._actions
        if action.help != "show this help message and exit"
    ]

    assert LEAVES[words].description, words
    assert all(action.help for action in options), words
    assert "(default: None)" not in shown
    assert "(default: False)" not in shown
