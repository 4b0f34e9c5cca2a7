"""The /_shim/ dashboard in a real headless browser (Debian's chromium), after compared traffic."""

import os
import shutil
import sqlite3
import struct
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import tweepy

from shim.config import Settings
from shim.operator.cli import main
from shim.serving.app import create_app
from tests.fakes import (
    ALICE,
    COMPARE_ROUTING,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    FakeV2App,
)
from tests.servers import serving
from tests.stored import Stored

pytestmark = pytest.mark.e2e

ADMIN = "fake-dashboard-token-of-32-characters"
ROUTING = COMPARE_ROUTING
# As the workplace's notes advise: no network of its own, a fresh profile, no sandbox as root.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1280,1100",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


@pytest.fixture
def shim(
    tmp_path: Path, tls: tuple[str, str, str], monkeypatch, served_v2: FakeV2App
) -> Iterator[tuple[str, str]]:
    """The shim over TLS with compare routing; yields its host and its SQLite file."""
    ca_file, cert_file, key_file = tls
    db, routing = tmp_path / "shim.db", tmp_path / "routing.toml"
    routing.write_text(ROUTING)
    store = Stored(str(db))
    store.add(ALICE.token, ALICE.secret)
    store.close()
    settings = Settings(
        consumer_key=CONSUMER_KEY,
        consumer_secret=CONSUMER_SECRET,
        db_path=str(db),
        admin_token=ADMIN,
        config_path=str(routing),
        upstream_url=served_v2.url,
    )
    app = create_app(settings)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca_file)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with serving(app, ssl_certfile=cert_file, ssl_keyfile=key_file) as port:
        yield f"127.0.0.1:{port}", str(db)


def tweepy_traffic(host: str, db: str) -> None:
    """Mutes, unmutes and the mute list, as a legacy app makes them, each call made once the
    last one's comparison is recorded: made at once, the next change can overtake it (a mute's
    v2 shadow muting again after the next unmute, whose v1.1 shadow then finds the user muted:
    a difference of the race, not of the versions)."""
    api = tweepy.API(
        tweepy.OAuth1UserHandler(CONSUMER_KEY, CONSUMER_SECRET, ALICE.token, ALICE.secret),
        host=host,
    )
    try:
        for made in range(0, 4, 2):
            api.create_mute(screen_name="Twitter")
            compared_by_now(db, made + 1)
            api.destroy_mute(user_id=783214)
            compared_by_now(db, made + 2)
        with pytest.raises(tweepy.Forbidden) as not_muting:
            api.destroy_mute(screen_name="Twitter")  # v1.1's 272, and v2's answer too now
        assert not_muting.value.api_codes == [272]
    finally:
        api.session.close()


def compared_by_now(db: str, count: int) -> None:
    """Wait until `count` comparisons are recorded in the SQLite file (they run after each
    answer is sent)."""
    deadline = time.monotonic() + 10
    while True:
        with closing(sqlite3.connect(db)) as store:
            done = store.execute(
                "SELECT coalesce(sum(count), 0) FROM comparison_counts WHERE counter = ?",
                ('["requests"]',),
            ).fetchone()
        if done[0] >= count or time.monotonic() > deadline:
            return
        time.sleep(0.02)


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    return subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_compare_mode_names_every_difference_of_tweepy_traffic(shim, monkeypatch, capsys):
    """Every field and behaviour that differs is named and explained by docs/differences.md."""
    host, db = shim
    tweepy_traffic(host, db)
    monkeypatch.setenv("SHIM_DB", db)

    # Comparisons run after each answer is sent, each endpoint's on its own: wait for every one
    # to be recorded (waiting for destroy's alone once read create's with one comparison of two,
    # too few to call a difference noise, on a loaded machine).
    deadline = time.monotonic() + 10
    while True:
        assert main(["compare", "report"]) == 0
        report = capsys.readouterr().out
        done = "mutes/users/create: 2 compared" in report and "destroy: 3 compared" in report
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.05)

    assert "mutes/users/create: 2 compared" in report
    assert "mutes/users/destroy: 3 compared" in report
    assert "geo_enabled" in report
    assert "known: the version called second finds the user already unmuted" in report
    assert "noise (differs between two v1.1 answers too): followers_count" in report
    assert "NOT EXPLAINED" not in report


def test_the_dashboard_renders_in_headless_chromium(shim, tmp_path: Path):
    host, db = shim
    tweepy_traffic(host, db)
    url = f"https://admin:{ADMIN}@{host}/_shim/"
    dom = run_chromium(tmp_path, "--ignore-certificate-errors", "--dump-dom", url).stdout
    shot = tmp_path / "dashboard.png"
    run_chromium(tmp_path, "--ignore-certificate-errors", f"--screenshot={shot}", url)

    assert "mutes/users/create" in dom
    assert "mutes/users/destroy" in dom
    assert "known: unmute-compared-twice" in dom
    assert "unexplained 0 (0%)" in dom
    # The migration report: each v1.1 call tweepy made, how it was served and answered.
    assert "Migration: what the apps call, and what to route next" in dom
    assert "<td>POST mutes/users/create</td><td>2</td><td>2x compared</td><td>2x 200</td>" in dom
    assert "<td>POST mutes/users/destroy</td><td>3</td><td>3x compared</td>" in dom
    assert dom.count("<svg") >= 4
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1280, 1100)
    assert len(png) > 20_000  # a page of charts and text, not a blank or an error page
    keep = os.environ.get("DASHBOARD_SCREENSHOT")  # to look at it: a path to copy it to
    if keep:
        shutil.copy(shot, keep)
