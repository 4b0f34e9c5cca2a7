"""`shim serve --sandbox` as a new user runs it: its own process, the simulated X in it, no
keys given; what it prints, the mark on every kind of answer, state that changes, signing in,
and the dashboard's banner."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from requests_oauthlib import OAuth1, OAuth1Session

from shim.sandbox.answers import DAVE, REQUEST_TOKEN, VERIFIER
from shim.sandbox.seed import ids
from tests.e2e.processes import listening
from tests.servers import free_port

pytestmark = pytest.mark.e2e

MARK = "simulated"
STARTING = 30  # seconds a started sandbox may take to listen, on a busy machine


@dataclass(frozen=True)
class Sandbox:
    base: str
    keys: dict[str, Any]  # as `shim sandbox --json` gives them
    printed: Path  # what it has printed so far

    def auth(self, user: int = 0) -> OAuth1:
        found = self.keys["users"][user]
        return OAuth1(
            self.keys["consumer_key"],
            self.keys["consumer_secret"],
            found["access_token"],
            found["access_token_secret"],
        )


def environment() -> dict[str, str]:
    """The caller's environment less any SHIM_* setting (a new user has none), with this
    checkout's code first, and no drain on SIGTERM."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("SHIM_")}
    root = str(Path(__file__).parents[2])
    return kept | {"PYTHONPATH": root, "SHIM_DRAIN_SECONDS": "0"}


def stopped(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=30)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """`shim serve --sandbox` over plain HTTP, from an empty folder."""
    folder = tmp_path_factory.mktemp("sandbox")
    port = free_port()
    printed = folder / "printed.txt"
    with printed.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "shim", "serve", "--sandbox", "--port", str(port)],
            cwd=folder,
            env=environment(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        listening(process, "127.0.0.1", port, STARTING, printed.read_text)
        keys = subprocess.run(
            [sys.executable, "-m", "shim", "sandbox", "--json"],
            env=environment(),
            capture_output=True,
            check=True,
        )
        try:
            yield Sandbox(f"http://127.0.0.1:{port}", json.loads(keys.stdout), printed)
        finally:
            assert stopped(process) == 0
    assert list(folder.iterdir()) == [printed]  # no shim.db, no certs: nothing of the sandbox


def test_it_prints_the_keys_and_two_users_tokens(sandbox: Sandbox):
    printed = sandbox.printed.read_text()

    assert "SIMULATED X (sandbox)" in printed
    for value in (sandbox.keys["consumer_key"], sandbox.keys["consumer_secret"]):
        assert value in printed
    for user in sandbox.keys["users"]:
        assert f"@{user['screen_name']} (user id {user['user_id']})" in printed
        assert user["access_token"] in printed
        assert user["access_token_secret"] in printed
    assert f"{sandbox.base}/_shim/" in printed


def test_muting_changes_what_the_lists_say(sandbox: Sandbox):
    """A mute, then the ids and the list show it; an unmute, and they no longer do."""
    base, loudbot = f"{sandbox.base}/1.1/mutes/users", int(ids()["loudbot"])
    with requests.Session() as session:
        session.auth = sandbox.auth()
        before = session.get(f"{base}/ids.json").json()["ids"]
        muted = session.post(f"{base}/create.json", data={"screen_name": "loudbot"}).json()
        during = session.get(f"{base}/ids.json").json()["ids"]
        listed = session.get(f"{base}/list.json").json()["users"]
        session.post(f"{base}/destroy.json", data={"user_id": str(loudbot)}).raise_for_status()
        after = session.get(f"{base}/ids.json").json()["ids"]

    assert loudbot not in before
    assert (muted["id"], muted["screen_name"], muted["muting"]) == (loudbot, "loudbot", True)
    assert loudbot in during
    assert [u["screen_name"] for u in listed if u["id"] == loudbot] == ["loudbot"]
    assert after == before


def test_every_kind_of_answer_is_marked_simulated(sandbox: Sandbox):
    """Translated, passed through (X's 453, as the simulated X answers v1.1), the sign-in's
    steps, a refusal, the health check and the dashboard: each says it is simulated."""
    admin = ("sandbox", sandbox.keys["admin_token"])
    with requests.Session() as session:
        translated = session.get(f"{sandbox.base}/1.1/friends/ids.json", auth=sandbox.auth())
        passed = session.get(f"{sandbox.base}/1.1/lists/statuses.json", auth=sandbox.auth(1))
        signing_in = OAuth1(
            sandbox.keys["consumer_key"], sandbox.keys["consumer_secret"], callback_uri="oob"
        )
        request_token = session.post(f"{sandbox.base}/oauth/request_token", auth=signing_in)
        authorize = session.get(
            f"{sandbox.base}/oauth/authorize?oauth_token={REQUEST_TOKEN.token}",
            allow_redirects=False,
        )
        refused = session.post(f"{sandbox.base}/1.1/mutes/users/create.json?user_id=1")
        health = session.get(f"{sandbox.base}/_shim/health")
        dashboard = session.get(f"{sandbox.base}/_shim/", auth=admin)
    answers = [translated, passed, request_token, authorize, refused, health, dashboard]

    assert [a.status_code for a in answers] == [200, 403, 200, 302, 400, 200, 200]
    assert passed.json()["errors"][0]["code"] == 453
    assert [a.headers.get("x-shim-sandbox") for a in answers] == [MARK] * len(answers)


def test_the_dashboard_says_simulated_x(sandbox: Sandbox):
    admin = ("sandbox", sandbox.keys["admin_token"])
    page = requests.get(f"{sandbox.base}/_shim/", auth=admin, timeout=10).text
    text = re.sub(r"<[^>]+>", " ", page)

    assert "SIMULATED X \u2014 sandbox" in text
    assert text.index("SIMULATED X") < text.index("twitter-mute-shim")  # first on the page


def test_a_user_signs_in_through_the_sandbox(sandbox: Sandbox):
    """The three-legged flow: the shim sends the browser to the simulated X, which shows the
    PIN; the token granted is @dave's, and it works at once."""
    base = f"{sandbox.base}/oauth"
    with OAuth1Session(
        sandbox.keys["consumer_key"],
        client_secret=sandbox.keys["consumer_secret"],
        callback_uri="oob",
    ) as signing_in:
        signing_in.fetch_request_token(f"{base}/request_token")
        page = requests.get(signing_in.authorization_url(f"{base}/authorize"), timeout=10)
        pin = re.search(r"PIN is (\d+)", page.text)
        assert pin is not None
        access = signing_in.fetch_access_token(f"{base}/access_token", verifier=pin.group(1))
    me = requests.get(
        f"{sandbox.base}/1.1/account/verify_credentials.json",
        auth=OAuth1(
            sandbox.keys["consumer_key"],
            sandbox.keys["consumer_secret"],
            access["oauth_token"],
            access["oauth_token_secret"],
        ),
        timeout=10,
    )

    assert pin.group(1) == VERIFIER
    assert (access["oauth_token"], access["screen_name"]) == (DAVE.token, "dave")
    assert me.json()["screen_name"] == "dave"
    assert me.headers["x-shim-sandbox"] == MARK


def test_a_bot_posts_a_picture(sandbox: Sandbox):
    """media/upload, then statuses/update naming it: the Tweet answered carries the picture."""
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    with requests.Session() as session:
        session.auth = sandbox.auth()
        uploaded = session.post(
            f"{sandbox.base}/1.1/media/upload.json", files={"media": ("p.png", picture)}
        )
        media_id = uploaded.json()["media_id_string"]
        posted = session.post(
            f"{sandbox.base}/1.1/statuses/update.json",
            data={"status": "a picture from the sandbox", "media_ids": media_id},
        )

    assert (uploaded.status_code, uploaded.headers["x-shim-sandbox"]) == (200, MARK)
    assert posted.status_code == 200
    (media,) = posted.json()["extended_entities"]["media"]
    assert (media["id_str"], media["type"]) == (media_id, "photo")


@pytest.mark.parametrize(
    ("sent", "status"),
    [
        (b"GET / HTTP/1.1\r\nX-Filler: " + b"a" * 20_000 + b"\r\n\r\n", b"431"),
        (b"\x16\x03\x01\x02\x00\x01 not http\r\n\r\n", b"400"),
    ],
)
def test_what_the_server_writes_before_a_request_is_marked_too(sandbox: Sandbox, sent, status):
    """A head too large and bytes that are not HTTP are answered before the app runs, where
    the mark of the rest is added: the real process marks them too."""
    host, port = sandbox.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(sent)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk

    head = received.partition(b"\r\n\r\n")[0].split(b"\r\n")
    assert head[0].split(b" ")[1] == status
    assert f"x-shim-sandbox: {MARK}".encode() in head
