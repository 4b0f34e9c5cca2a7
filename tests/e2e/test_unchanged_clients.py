"""Legacy clients run as their users run them, each in a child process (see tests/e2e/legacy.py):
python-twitter with only its `base_url` changed, tweepy 3 with only its `host`, and twython with
nothing changed at all, its hard-coded api.twitter.com led to the shim by a hosts file and trusted
through `shim certs`."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from mappings.errors import CODES
from tests.e2e import processes, redirect
from tests.e2e.conftest import Server
from tests.fake_timelines import posted
from tests.fakes import ALICE, FakeV2, FakeV2App, minimal_user, twitter_user
from tests.servers import serving

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
# scripts/install puts python-twitter here: it would shadow Python Twitter Tools' `twitter`.
PYTHON_TWITTER = Path(sys.prefix) / "python-twitter"
TWEEPY3 = Path(sys.prefix) / "tweepy3"  # tweepy 3.10, which would shadow tweepy 4
OTHERS = {str(n) for n in range(20_000, 20_045)}  # three pages of mutes/users/list
TWITTER = {"id_str": "783214", "screen_name": "Twitter"}
# Whom the caller follows besides @Twitter (some muted already) and blocks, for the mute tools.
FRIENDS = {str(n) for n in range(20_040, 20_060)}
BLOCKED = {str(n) for n in range(30_000, 30_005)}


def graph(fake: FakeV2) -> None:
    """The caller's mutes, follows and blocks before a session, each user one v2 knows."""
    fake.users |= {t: minimal_user(t, f"user{t}") for t in OTHERS | FRIENDS | BLOCKED}
    fake.muted |= {(ALICE.user_id, target) for target in OTHERS}
    fake.related["following"] |= {(ALICE.user_id, target) for target in FRIENDS}
    fake.related["blocking"] |= {(ALICE.user_id, target) for target in BLOCKED}


def session(
    client: str,
    *arguments: str,
    env: Mapping[str, str],
    prefix: Sequence[str] = (),
    module: str = "tests.e2e.legacy",
) -> dict[str, Any]:
    done = subprocess.run(
        [*prefix, sys.executable, "-m", module, client, *arguments],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    seen: dict[str, Any] = json.loads(done.stdout)
    return seen


def python_twitter_session(name: str, server: Server) -> dict[str, Any]:
    """A python-twitter session in legacy.py (`name`), its `base_url` the shim's."""
    if not (PYTHON_TWITTER / "twitter").is_dir():
        pytest.fail(f"python-twitter is not in {PYTHON_TWITTER}: run scripts/install")
    env = {"PYTHONPATH": os.pathsep.join([str(PYTHON_TWITTER), str(ROOT)])}
    return session(name, f"https://{server.host}/1.1", env=env)


def check_session(seen: dict[str, Any], fake: FakeV2) -> None:
    """What every client must see, and what the upstream must (not) have been asked."""
    assert seen["muted"] == seen["unmuted"] == TWITTER
    assert sorted(seen["listed"]) == sorted(OTHERS)
    assert seen["me"] == "me"  # the caller, from /2/users/me
    assert seen["passed"] == "/1.1/help/configuration.json"
    unmutes = [path for path in fake.paths() if path[0] == "DELETE"]
    # The one real unmute; the 272 and the unknown user were answered without a change.
    assert unmutes == [("DELETE", f"/2/users/{ALICE.user_id}/muting/783214")]
    assert not any(path[0] == "POST" and "nobody" in str(path) for path in fake.paths())
    lists = [
        c
        for c in fake.calls
        if (c.method, c.url.path) == ("GET", f"/2/users/{ALICE.user_id}/muting")
    ]
    assert [c.url.params["max_results"] for c in lists] == ["20"] * 3 + ["1000"]
    # The mute tools read the lists, then muted whom they had to and no one else.
    followed = FRIENDS | {TWITTER["id_str"]}
    assert set(seen["tool"]["friends"]) == followed
    assert set(seen["tool"]["blocked"]) == BLOCKED
    assert set(seen["tool"]["muted"]) == (followed | BLOCKED) - OTHERS
    assert fake.muted == {(ALICE.user_id, target) for target in OTHERS | followed | BLOCKED}
    # Only the one passed-through call reached v1.1: everything else went through v2.
    assert [p for p in fake.paths() if p[1].startswith("/1.1/")] == [
        ("GET", "/1.1/help/configuration.json")
    ]


def test_python_twitter_through_its_base_url(server: Server):
    graph(server.fake)
    posts = posted(
        server.fake.statuses, ALICE.user_id, 45, twitter_user()["data"]["most_recent_tweet_id"]
    )

    seen = python_twitter_session("python-twitter", server)

    check_session(seen, server.fake)
    assert seen["not_muting"] == {"code": 272, "message": CODES[272][1]}
    assert seen["unknown"] == {"code": 108, "message": CODES[108][1]}
    assert seen["timeline"] == posts  # each once, newest first, through v2


def test_tweepy3_sends_id_and_asks_rate_limit_status_first(server: Server):
    """tweepy 3.x sends the target as `id` (all digits an id, else a screen name), and asks
    application/rate_limit_status, which the shim answers itself."""
    if not (TWEEPY3 / "tweepy").is_dir():
        pytest.fail(f"tweepy 3 is not in {TWEEPY3}: run scripts/install")
    graph(server.fake)

    seen = session(
        "tweepy3",
        server.host,
        env={
            "PYTHONPATH": os.pathsep.join([str(TWEEPY3), str(ROOT)]),
            "REQUESTS_CA_BUNDLE": server.ca_file,
        },
    )

    check_session(seen, server.fake)
    assert seen["not_muting"] == {"status": 403, "code": 272}
    assert seen["unknown"] == {"status": 403, "code": 108}
    sent = [call for call in server.fake.calls if call.url.path.startswith("/1.1/application")]
    assert sent == []
    assert seen["limits"]["rate_limit_context"] == {"access_token": ALICE.token}
    assert set(seen["limits"]["resources"]) == {"mutes", "account"}
    # After the session, the window v2's answers to the mute list stated (the fake's 15).
    after = seen["limits_after"]["resources"]
    assert after["mutes"]["/mutes/users/list"]["limit"] == 15
    # The fake's /2/users/me states no whole window: X's published limit stands.
    assert after["account"]["/account/verify_credentials"]["limit"] == 250


@pytest.fixture
def upstream() -> Iterator[tuple[str, FakeV2]]:
    fake = FakeV2(twitter_user())
    graph(fake)
    with serving(FakeV2App(fake)) as port:
        yield f"http://127.0.0.1:{port}", fake


def test_twython_unchanged_through_host_redirection(tmp_path: Path, upstream):
    redirect.require_redirection()
    url, fake = upstream
    # docs/clients.md's recipe: certificates for the API's name, then serve on 443.
    certs = tmp_path / "certs"
    subprocess.run(
        [sys.executable, "-m", "shim", "certs", "--names", "api.twitter.com", "--out", str(certs)],
        check=True,
        capture_output=True,
    )
    ca = str(certs / "ca.pem")
    tls = (ca, str(certs / "server.pem"), str(certs / "server-key.pem"))
    address = redirect.loopback_address()
    shim, _ = processes.start(
        tmp_path,
        tls,
        url,
        port=443,
        host=address,
        env={"SHIM_PUBLIC_URL": "https://api.twitter.com"},
    )
    machine_hosts = Path("/etc/hosts").read_text()
    try:
        seen = session(
            "twython",
            env={"REQUESTS_CA_BUNDLE": ca, "PYTHONPATH": str(ROOT)},
            prefix=redirect.redirected(tmp_path / "hosts", address, "api.twitter.com"),
        )
    finally:
        output = processes.stop(shim)

    check_session(seen, fake)
    assert seen["not_muting"] == {"status": 403, "message": twython_says(403, 272)}
    assert seen["unknown"] == {"status": 403, "message": twython_says(403, 108)}
    assert Path("/etc/hosts").read_text() == machine_hosts
    assert "Traceback" not in output
    assert "mutes/users/list.json" in output  # the access log is on, and holds no credential
    assert ALICE.token not in output
    assert ALICE.secret not in output


def twython_says(status: int, code: int) -> str:
    return f"Twitter API returned a {status} (Forbidden), {CODES[code][1]}"
