"""The README's first command and its tweepy script, and docs/clients.md's worked example, run
as written: extracted from the pages, in a folder laid out as a clone is (its `scripts/` and
`.venv`), with no X account and no SHIM_* setting; only the port is a free one."""

import os
import re
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from requests_oauthlib import OAuth1

from shim.sandbox.seed import credentials, ids
from tests.e2e.processes import listening
from tests.servers import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
PORT = "8443"  # the port the pages use
STARTING = 30  # seconds the sandbox may take to listen, with its first --dev-tls certificate


def blocks(page: str, section: str) -> list[tuple[str, str]]:
    """The fenced code blocks of a page's section, as (language, text)."""
    text = (ROOT / page).read_text()
    start = text.index(f"\n## {section}\n")
    end = text.find("\n## ", start + 1)
    found = re.findall(r"```(\w+)\n(.*?)```", text[start : end if end != -1 else len(text)], re.S)
    return [(language, code) for language, code in found]


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A folder as a clone is to its user: `scripts/` and `.venv` in it."""
    for name in ("scripts", ".venv"):
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path


def environment() -> dict[str, str]:
    """A new user's: no SHIM_* setting; this checkout's code first; no drain on SIGTERM."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("SHIM_", "REQUESTS_CA"))}
    return kept | {"PYTHONPATH": str(ROOT), "SHIM_DRAIN_SECONDS": "0"}


@pytest.fixture
def port() -> str:
    return str(free_port())


@contextmanager
def serving(command: str, clone: Path, port: str) -> Iterator[subprocess.Popen[bytes]]:
    """Run the page's command (on `port`) in the clone until it listens; stop it after."""
    printed = clone / "printed.txt"
    with printed.open("wb") as out:
        process = subprocess.Popen(
            ["bash", "-c", command.replace(PORT, port)],
            cwd=clone,
            env=environment(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    listening(process, "127.0.0.1", int(port), STARTING, printed.read_text)
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, printed.read_text()


def run(argv: list[str], clone: Path, **env: str) -> str:
    done = subprocess.run(
        argv, cwd=clone, env=environment() | env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def muted_by(user: int, port: str, clone: Path) -> list[int]:
    """mutes/users/ids through the shim, as the sandbox's user `user` (0: @alice)."""
    keys = credentials()
    token = keys["users"][user]
    auth = OAuth1(
        keys["consumer_key"],
        keys["consumer_secret"],
        token["access_token"],
        token["access_token_secret"],
    )
    url = f"https://127.0.0.1:{port}/1.1/mutes/users/ids.json"
    answer = requests.get(url, auth=auth, verify=str(clone / "certs" / "ca.pem"), timeout=10)
    assert answer.headers["x-shim-sandbox"] == "simulated"
    return list(answer.json()["ids"])


def test_the_readme_mutes_a_user_with_no_x_account(clone: Path, port: str):
    """`scripts/serve --sandbox` and the README's tweepy script: the mute is made, as the
    script prints and as mutes/users/ids through the shim says after."""
    (sh, commands), (python, script) = blocks("README.md", "Two commands")[:2]
    serve = next(line for line in commands.splitlines() if line.startswith("scripts/serve"))
    assert (sh, python, serve) == (
        "sh",
        "python",
        f"scripts/serve --sandbox --port {PORT} --dev-tls",
    )
    assert len(script.splitlines()) <= 10
    (clone / "mute.py").write_text(script.replace(PORT, port))

    with serving(serve, clone, port):
        printed = run([".venv/bin/python", "mute.py"], clone)
        muted = muted_by(0, port, clone)

    assert printed == "loudbot True True\n"
    assert int(ids()["loudbot"]) in muted


def test_the_worked_example_runs_as_written(clone: Path, port: str):
    """docs/clients.md's worked example: the sandbox, then its Python blocks as one script (the
    first gives the names the others use), then its curl commands, each printing what the page
    says it prints."""
    found = blocks("docs/clients.md", "A worked example")
    languages = [language for language, _ in found]
    assert languages == ["sh", "python", "python", "python", "sh", "sh"]
    (_, serve), *_ = found
    python = "\n".join(code for language, code in found if language == "python")
    (clone / "example.py").write_text(python.replace(PORT, port))
    (_, unsigned), (_, signed) = found[-2:]
    command, expected = unsigned.removeprefix("$ ").strip().split("\n")

    with serving(serve.split("#")[0].strip(), clone, port):
        printed = run([".venv/bin/python", "example.py"], clone, REQUESTS_CA_BUNDLE="certs/ca.pem")
        refused = run(["bash", "-c", command.replace(PORT, port)], clone)
        listed = run(["bash", "-c", signed.replace(PORT, port)], clone)
        muted = muted_by(0, port, clone)

    loudbot, sandboxnews = int(ids()["loudbot"]), int(ids()["sandboxnews"])
    assert printed == f"{loudbot} loudbot True\n"
    assert refused == expected
    assert listed.startswith(f'{{"ids":[{loudbot}],')
    assert (loudbot in muted, sandboxnews in muted) == (False, True)  # tweepy unmuted it
