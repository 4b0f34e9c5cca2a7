"""`shim serve` as an operator runs it: its own process, TLS, the real v2 transport over HTTP."""

import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import tweepy

from tests.e2e.processes import start, stop
from tests.fakes import (
    ALICE,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    DAVE,
    REQUEST_TOKEN,
    VERIFIER,
    FakeV2,
    serving_fake,
    sign,
    twitter_user,
)
from tests.servers import free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def fake_upstream() -> Iterator[tuple[str, FakeV2]]:
    fake = FakeV2(twitter_user())
    with serving_fake(fake) as url:
        yield url, fake


@pytest.fixture
def trust(tls: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", tls[0])
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


def tweepy_mute(host: str, **target: int | str) -> tuple[int, bool] | tuple[int, list[int]]:
    """Mute with tweepy's v1.1 API; return plain values, so no client object outlives the call."""
    api = tweepy.API(
        tweepy.OAuth1UserHandler(CONSUMER_KEY, CONSUMER_SECRET, ALICE.token, ALICE.secret),
        host=host,
    )
    try:
        muted = api.create_mute(**target)
    except tweepy.HTTPException as error:
        return error.response.status_code, error.api_codes
    return muted.id, muted.muting


@pytest.mark.usefixtures("trust")
def test_tweepy_through_shim_serve(tmp_path: Path, tls, fake_upstream):
    upstream, fake = fake_upstream
    process, host = start(tmp_path, tls, upstream)
    try:
        muted = tweepy_mute(host, screen_name="Twitter")
    finally:
        output = stop(process)

    assert muted == (783214, True)
    assert (ALICE.user_id, "783214") in fake.muted
    for secret in (ALICE.secret, CONSUMER_SECRET, ALICE.token):
        assert secret not in output


@pytest.mark.usefixtures("trust")
def test_an_unreachable_upstream_is_over_capacity_in_bounded_time(tmp_path: Path, tls):
    process, host = start(tmp_path, tls, f"http://127.0.0.1:{free_port()}")
    try:
        started = time.monotonic()
        refused = tweepy_mute(host, user_id=783214)
        elapsed = time.monotonic() - started
    finally:
        stop(process)

    assert refused == (503, [130])
    assert elapsed < 5


@pytest.mark.usefixtures("trust")
def test_sigterm_lets_the_request_in_flight_finish(tmp_path: Path, tls, fake_upstream):
    """A graceful stop: the answer to a call already waiting on the upstream still arrives."""
    upstream, fake = fake_upstream
    process, host = start(tmp_path, tls, upstream)
    fake.delay = 1.0
    answers: list[object] = []
    caller = threading.Thread(target=lambda: answers.append(tweepy_mute(host, user_id=783214)))
    try:
        caller.start()
        time.sleep(0.5)  # the call is now waiting on the slow upstream
    finally:
        output = stop(process)
        fake.delay = 0.0
    caller.join(timeout=10)

    assert answers == [(783214, True)]
    # uvicorn re-raises the signal once it has shut down gracefully, as a process should.
    assert process.returncode in (0, -signal.SIGTERM)
    assert "Finished server process" in output


@pytest.mark.usefixtures("trust")
def test_recording_survives_sigterm_and_no_log_line_holds_a_secret(
    tmp_path: Path, tls, fake_upstream
):
    """A user signs in (the answer carries oauth_token_secret), a request line carries OAuth
    values in its query, a mute goes through; then the process manager stops the shim."""
    upstream, _ = fake_upstream
    cassette = tmp_path / "recorded.yaml"
    process, host = start(tmp_path, tls, upstream, "--record", str(cassette))
    base = f"https://{host}"
    leaky = f"{base}/1.1/lists/statuses.json?oauth_token={ALICE.token}&oauth_signature=fakesig"
    try:
        with requests.Session() as session:
            request_url, access_url = f"{base}/oauth/request_token", f"{base}/oauth/access_token"
            session.post(request_url, headers=sign("POST", request_url, None, callback="oob"))
            granted = session.post(
                access_url, headers=sign("POST", access_url, REQUEST_TOKEN, verifier=VERIFIER)
            ).status_code
            session.get(leaky)
        muted = tweepy_mute(host, user_id=783214)
    finally:
        output = stop(process)

    assert granted == 200
    assert muted == (783214, True)
    assert "lists/statuses.json?oauth_token=" in output  # the line is there, masked
    assert cassette.stat().st_mode & 0o777 == 0o600
    recorded = cassette.read_text()
    assert "/oauth/access_token" in recorded
    assert "/2/users/1500000000000000001/muting" in recorded
    secrets = (DAVE.secret, DAVE.token, REQUEST_TOKEN.secret, ALICE.token, ALICE.secret)
    for secret in (*secrets, CONSUMER_SECRET, "fakesig"):
        assert secret not in output
        assert secret not in recorded


def test_the_readmes_real_keys_command_serves_on_a_fresh_folder(tmp_path: Path, fake_upstream):
    """The README's command for X itself as written, only its placeholders filled in (and a
    free port), run from an empty folder: it makes its certificate and serves tweepy over TLS.
    (Its sandbox command is tests/e2e/test_sandbox_docs.py's.)"""
    import os
    import re
    import subprocess

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    blocks = readme.split("## Two commands", 1)[1].split("\n## ", 1)[0].split("```sh")[1:]
    (command,) = [b.split("```", 1)[0] for b in blocks if "SHIM_CONSUMER_KEY" in b]
    port = free_port()
    command = command.replace("8443", str(port)).replace(
        "scripts/serve", str(Path(__file__).parents[2] / "scripts" / "serve")
    )
    values = iter([CONSUMER_KEY, CONSUMER_SECRET, ALICE.token, ALICE.secret])
    command = re.sub("…", lambda _: next(values), command)
    upstream, _ = fake_upstream
    process = subprocess.Popen(
        ["bash", "-c", command],
        cwd=tmp_path,
        env={**os.environ, "SHIM_UPSTREAM_URL": upstream},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "certs" / "ca.pem").exists() or not _listening(port):
            assert process.poll() is None, process.communicate()[0].decode()
            assert time.monotonic() < deadline, "the README's command did not start"
            time.sleep(0.1)
        os.environ["REQUESTS_CA_BUNDLE"] = str(tmp_path / "certs" / "ca.pem")
        try:
            muted = tweepy_mute(f"localhost:{port}", user_id=783214)
        finally:
            del os.environ["REQUESTS_CA_BUNDLE"]
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # bash and the shim it started
        output = process.communicate(timeout=30)[0].decode()

    assert muted == (783214, True)
    assert "clients trust certs/ca.pem" in output
    assert ALICE.secret not in output


def _listening(port: int) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


@pytest.mark.usefixtures("trust")
def test_json_logs_one_object_a_line_with_the_request_id_passed_upstream(
    tmp_path: Path, tls, fake_upstream
):
    upstream, fake = fake_upstream
    fake.calls.clear()
    process, host = start(tmp_path, tls, upstream, env={"SHIM_LOG_FORMAT": "json"})
    try:
        url = f"https://{host}/1.1/mutes/users/create.json?screen_name=nobody"
        refused = answered("POST", url, {**sign("POST", url), "X-Request-Id": "trace-42"})
        url = f"https://{host}/1.1/help/configuration.json"
        passed = answered("GET", url, sign("GET", url))
    finally:
        output = stop(process)

    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    mute = next(line for line in lines if line.get("endpoint") == "mutes/users/create")
    assert (refused[0], refused[1]["x-request-id"]) == (403, "trace-42")
    assert mute["request_id"] == "trace-42"
    assert (mute["backend"], mute["status"], mute["v11_code"]) == ("v2", 403, 108)
    assert isinstance(mute["upstream_ms"], float)
    assert {
        call.headers.get("x-request-id") for call in fake.calls if "nobody" in call.url.path
    } == {"trace-42"}
    generated = passed[1]["x-request-id"]
    assert any(
        line.get("endpoint") == "passthrough" and line["request_id"] == generated for line in lines
    )
    # One line a request: uvicorn's access line and httpx2's for each call are on it.
    assert not [line for line in lines if line["logger"] in ("uvicorn.access", "httpx2")]
    assert [line["request_id"] for line in lines if line["logger"] == "shim.requests"] == [
        "trace-42",
        generated,
    ]
    assert mute["request"] == '"POST /1.1/mutes/users/create.json?screen_name=nobody HTTP/1.1"'
    assert mute["client"].startswith("127.0.0.1:")
    (lookup,) = mute["v2_calls"]  # v2 answers 200 with the error in the body
    assert lookup.startswith("GET /2/users/by/username/nobody?user.fields=")
    assert lookup.endswith(" ms")
    assert " 200 " in lookup
    for secret in (ALICE.secret, ALICE.token, CONSUMER_SECRET, "oauth_signature"):
        assert secret not in output


def answered(method: str, url: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    """Status and headers as plain values: no response outlives the call holding its socket,
    which the server's graceful stop would wait for."""
    with requests.Session() as session, session.request(method, url, headers=headers) as got:
        return got.status_code, dict(got.headers)


@pytest.mark.usefixtures("trust")
def test_two_workers_share_nonces_and_serve_side_by_side(tmp_path: Path, tls, fake_upstream):
    """--workers 2: two processes on one port; what must be shared is (the SQLite file in WAL
    mode), so a request replayed to whichever worker is refused."""
    upstream, _ = fake_upstream
    process, host = start(tmp_path, tls, upstream, "--workers", "2")
    try:
        deadline = time.monotonic() + 20
        while len(_children(process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = _children(process.pid)
        url = f"https://{host}/1.1/mutes/users/create.json?user_id=783214"
        headers = sign("POST", url)
        first = [answered("POST", url, headers)[0] for _ in range(6)]
        fresh = [answered("POST", url, sign("POST", url))[0] for _ in range(6)]
    finally:
        output = stop(process)

    assert len(workers) >= 2, output
    assert first[0] == 200
    assert set(first[1:]) == {401}  # the replays, on whichever worker they landed
    assert set(fresh) == {200}
    assert "Traceback" not in output


def _children(pid: int) -> list[int]:
    """The worker processes (uvicorn's spawn also starts a resource tracker: not a worker)."""
    import subprocess

    found = subprocess.run(
        ["ps", "--ppid", str(pid), "-o", "pid=,args="], capture_output=True, text=True
    ).stdout.splitlines()
    return [int(line.split()[0]) for line in found if "resource_tracker" not in line]
