"""The migration report for a run of a real legacy app: a tweepy 3.10 app through `shim serve`,
in front of an upstream whose v1.1 refuses what the app's tier lacks (453), as today's X does;
then `shim report` (and `--json`) names each call, how it was served, what the upstream
answered and why, and the v2 replacement of each call v1.1 served."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import processes
from tests.e2e.test_unchanged_clients import ROOT, TWEEPY3
from tests.fakes import ERRORS, FakeV2, FakeV2App, twitter_user, v2_response
from tests.servers import serving

pytestmark = pytest.mark.e2e

REFUSED = ("/1.1/statuses/retweets/1234.json", "/1.1/users/search.json")


def shim(*arguments: str, db: Path) -> subprocess.CompletedProcess[str]:
    """A `shim` command as the operator runs it, on the shim's SQLite file."""
    return subprocess.run(
        [sys.executable, "-m", "shim", *arguments],
        env={**os.environ, "SHIM_DB": str(db)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_shim_report_shows_what_a_legacy_app_called_and_what_still_fails(tmp_path: Path, tls):
    if not (TWEEPY3 / "tweepy").is_dir():
        pytest.fail(f"tweepy 3 is not in {TWEEPY3}: run scripts/install")
    fake = FakeV2(twitter_user())
    for path in REFUSED:
        fake.canned[("GET", path)] = v2_response(403, ERRORS["tier_without_access"])
    with serving(FakeV2App(fake)) as port:
        server, host = processes.start(tmp_path, tls, f"http://127.0.0.1:{port}")
        try:
            app = subprocess.run(
                [sys.executable, "-m", "tests.e2e.legacy_app", host],
                cwd=ROOT,
                env={
                    **os.environ,
                    "PYTHONPATH": os.pathsep.join([str(TWEEPY3), str(ROOT)]),
                    "REQUESTS_CA_BUNDLE": tls[0],
                },
                capture_output=True,
                text=True,
                timeout=60,
            )
        finally:
            output = processes.stop(server)  # the shim adds its last counts as it stops
    assert app.returncode == 0, app.stderr
    seen: dict[str, Any] = json.loads(app.stdout)
    text = shim("report", db=tmp_path / "shim.db").stdout
    rows = json.loads(shim("report", "--json", db=tmp_path / "shim.db").stdout)

    assert (seen["me"], seen["muted"], seen["mutes"]) == ("me", "Twitter", ["783214"])
    assert seen["configuration"] == "/1.1/help/configuration.json"
    assert seen["retweets"] == [{"status": 403, "code": 453}] * 2
    assert seen["search"] == {"status": 403, "code": 453}
    assert seen["saved"] == {"status": 410, "code": 251}
    assert "Traceback" not in output
    assert text.splitlines()[0] == (
        "8 calls to 7 v1.1 endpoints: 3 translated to v2, 4 served by v1.1, 3 of them refused "
        "by v1.1"
    )
    tier = "the app's access level does not include this v1.1 endpoint"
    assert (
        "GET statuses/retweets/:id: 2 calls; served 2x passed through; answered 2x 403/453 "
        f"({tier})\n"
        "  v2 replacement: Retweets lookup (not translated by the shim: call v2 from the app)\n"
    ) in text
    assert (
        f"GET users/search: 1 call; served 1x passed through; answered 1x 403/453 ({tier})\n"
        "  v2 replacement: Get user/search (not translated by the shim: call v2 from the app)\n"
    ) in text
    assert "GET help/configuration: 1 call; served 1x passed through; answered 1x 200\n" in text
    assert "  v2 replacement: none\n" in text
    assert "POST mutes/users/create: 1 call; served 1x v2; answered 1x 200\n" in text
    assert "GET saved_searches/list: 1 call; served 1x shim; answered 1x 410/251" in text
    translated = {call for call, row in rows.items() if row["served"] == {"v2": row["calls"]}}
    assert translated == {
        "GET account/verify_credentials",
        "POST mutes/users/create",
        "GET mutes/users/ids",
    }
    refused = {call: row["answers"] for call, row in rows.items() if row["refused_by_v1"]}
    assert refused == {
        "GET statuses/retweets/:id": {"403/453": 2},
        "GET users/search": {"403/453": 1},
    }
    assert rows["GET users/search"]["replacement"] == "Get user/search"
    assert rows["GET help/configuration"]["replacement"] is None
