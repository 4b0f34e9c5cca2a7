"""The migration report from live traffic: each call counted by its v1.1 endpoint, how it was
served and what was answered, with its v2 replacement; counted in memory, kept in the store,
bounded whatever paths come."""

import asyncio
import gzip
import json
import random
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.requests import Request
from starlette.responses import Response

from mappings.migration import report
from shim.config import Settings
from shim.errors import StoreUnavailable
from shim.operator.cli import main
from shim.serving.exchange import Exchange
from shim.serving.identity import Call
from shim.serving.traffic import Traffic
from shim.stores.state import open_state
from tests.conftest import MakeClient
from tests.deadlines import until
from tests.fakes import ERRORS, FakeV2, sign, v2_response

BASE = "http://testserver"
MUTE = f"{BASE}/1.1/mutes/users/create.json?screen_name=Twitter"
RETWEETS = f"{BASE}/1.1/statuses/retweets/1234.json"
CONFIGURATION = f"{BASE}/1.1/help/configuration.json"
BLOCK = f"{BASE}/1.1/blocks/create.json?screen_name=Twitter"
IDS = f"{BASE}/1.1/mutes/users/ids.json"
ADMIN_TOKEN = "fake-admin-token-of-32-characters"
TIER = ERRORS["tier_without_access"]


def refusing(fake_v2: FakeV2, method: str, path: str) -> None:
    """v1.1 refusing the call for the app's tier."""
    fake_v2.canned[(method, path)] = v2_response(403, TIER)


def stored(settings: Settings) -> dict[str, Any]:
    """The report as `shim report` reads it from the store."""

    async def read() -> dict[str, Any]:
        kept = open_state(settings)
        try:
            return await kept.traffic.report()
        finally:
            await kept.aclose()

    return asyncio.run(read())


@pytest.fixture
def session(make_client: MakeClient, fake_v2: FakeV2, config, settings: Settings):
    """A legacy app's calls of every kind: translated, routed to v1.1, passed through (one
    refused for the tier), and one v2 cannot serve; the instance then stopped."""
    refusing(fake_v2, "GET", "/1.1/statuses/retweets/1234.json")
    refusing(fake_v2, "GET", "/1.1/mutes/users/ids.json")
    client = make_client(config_path=config('[routes."mutes/users/ids"]\nmode = "v1"\n'))
    answers = [
        client.post(MUTE, headers=sign("POST", MUTE)),
        client.post(MUTE, headers=sign("POST", MUTE)),
        client.get(IDS, headers=sign("GET", IDS)),
        client.get(RETWEETS, headers=sign("GET", RETWEETS)),
        client.get(RETWEETS, headers=sign("GET", RETWEETS)),
        client.get(CONFIGURATION, headers=sign("GET", CONFIGURATION)),
        client.post(BLOCK, headers=sign("POST", BLOCK)),
    ]
    client.__exit__(None, None, None)  # the shutdown adds the last counts
    return answers


def test_each_call_is_counted_by_endpoint_how_it_was_served_and_what_it_was_answered(
    session, settings: Settings
):
    rows = stored(settings)

    assert rows["POST mutes/users/create"] == {
        "calls": 2,
        "served": {"v2": 2},
        "answers": {"200": 2},
        "why": {},
        "refused_by_v1": 0,
        "replacement": "Manage mutes",
        "translated": True,
        "next": None,
    }
    retweets = rows["GET statuses/retweets/:id"]
    assert (retweets["served"], retweets["answers"]) == ({"passed through": 2}, {"403/453": 2})
    assert retweets["why"] == {
        "403/453": "the app's access level does not include this v1.1 endpoint"
    }
    assert retweets["refused_by_v1"] == 2
    assert retweets["next"] == "Retweets lookup (not translated by the shim: call v2 from the app)"
    ids = rows["GET mutes/users/ids"]
    assert (ids["served"], ids["answers"]) == ({"v1.1": 1}, {"403/453": 1})
    assert ids["next"] == "translated by the shim: route it to v2"
    configuration = rows["GET help/configuration"]
    assert (configuration["served"], configuration["next"]) == ({"passed through": 1}, "none")
    block = rows["POST blocks/create"]
    assert (block["served"], block["answers"], block["next"]) == (
        {"shim": 1},
        {"410/251": 1},
        None,
    )
    # The most called first, then by name.
    assert list(rows)[:2] == ["GET statuses/retweets/:id", "POST mutes/users/create"]


def test_a_refusal_passes_through_as_it_came_and_its_code_is_counted(
    make_client: MakeClient, fake_v2: FakeV2, settings: Settings
):
    """Read whole to be counted, a refusal still reaches the client in the upstream's bytes
    (gzipped, as X answers a client that accepts it)."""
    gzipped = gzip.compress(json.dumps(TIER).encode())
    fake_v2.canned[("GET", "/1.1/statuses/retweets/1234.json")] = httpx2.Response(
        403,
        headers={"content-type": "application/json", "content-encoding": "gzip"},
        stream=httpx2.ByteStream(gzipped),  # not read: its raw bytes are the gzipped ones
    )
    client = make_client()
    headers = {**sign("GET", RETWEETS), "Accept-Encoding": "gzip"}
    with client.stream("GET", RETWEETS, headers=headers) as answer:
        raw = b"".join(answer.iter_raw())
    client.__exit__(None, None, None)

    assert (answer.status_code, answer.headers["content-encoding"]) == (403, "gzip")
    assert (raw, answer.headers["content-length"]) == (gzipped, str(len(gzipped)))
    assert stored(settings)["GET statuses/retweets/:id"]["answers"] == {"403/453": 1}


def test_the_report_command_prints_the_report_and_its_json(session, settings, monkeypatch, capsys):
    monkeypatch.setenv("SHIM_DB", settings.db_path)

    assert main(["report"]) == 0
    text = capsys.readouterr().out
    assert main(["report", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)

    assert text.splitlines()[0] == (
        "7 calls to 5 v1.1 endpoints: 2 translated to v2, 4 served by v1.1, 3 of them refused by "
        "v1.1"
    )
    assert (
        "GET statuses/retweets/:id: 2 calls; served 2x passed through; answered 2x 403/453 (the "
        "app's access level does not include this v1.1 endpoint)\n"
        "  v2 replacement: Retweets lookup (not translated by the shim: call v2 from the app)\n"
    ) in text
    assert "GET mutes/users/ids: 1 call; served 1x v1.1;" in text
    assert "  v2 replacement: translated by the shim: route it to v2\n" in text
    assert rows == stored(settings)


def test_an_empty_report_says_when_counts_arrive(settings, monkeypatch, capsys):
    monkeypatch.setenv("SHIM_DB", settings.db_path)

    assert main(["report"]) == 0
    assert capsys.readouterr().out.startswith("no calls counted yet: each instance adds")


def test_the_dashboard_shows_the_report(make_client: MakeClient, fake_v2: FakeV2):
    refusing(fake_v2, "GET", "/1.1/statuses/retweets/1234.json")
    client = make_client(admin_token=ADMIN_TOKEN)
    client.get(RETWEETS, headers=sign("GET", RETWEETS))

    page = client.get(f"{BASE}/_shim/", auth=("admin", ADMIN_TOKEN)).text

    assert "Migration: what the apps call, and what to route next" in page
    assert (
        "<tr class=new><td>GET statuses/retweets/:id</td><td>1</td><td>1x passed through</td>"
        "<td>1x 403/453 (the app&#x27;s access level does not include this v1.1 endpoint)</td>"
        "<td>Retweets lookup (not translated by the shim: call v2 from the app)</td></tr>"
    ) in page


def test_a_running_instance_adds_its_counts_in_batches(
    make_client: MakeClient, settings: Settings, monkeypatch
):
    monkeypatch.setattr("shim.serving.traffic.FLUSH_SECONDS", 0.05)
    client = make_client()
    client.get(CONFIGURATION, headers=sign("GET", CONFIGURATION))

    rows = until(lambda: stored(settings), 10)  # while the instance runs
    assert rows["GET help/configuration"]["calls"] == 1


def test_random_paths_fold_into_one_row(make_client: MakeClient, settings: Settings):
    """An attacker's paths cannot grow the report: a path no v1.1 endpoint has is `other`."""
    client = make_client()
    picked = random.Random(25)
    for _ in range(200):
        word = "".join(picked.choices(string.ascii_lowercase, k=12))
        url = f"{BASE}/1.1/{word}/{picked.randrange(10**9)}.json"
        client.get(url, headers=sign("GET", url))
    client.__exit__(None, None, None)

    rows = stored(settings)
    assert list(rows) == ["other"]
    assert rows["other"]["calls"] == 200
    assert rows["other"]["next"] == "unknown: not a v1.1 endpoint"


class Counting:
    """A store that counts its writes, and refuses them when told to."""

    def __init__(self) -> None:
        self.batches: list[dict[str, int]] = []
        self.down = False

    async def add(self, counts: Mapping[str, int]) -> None:
        if self.down:
            raise StoreUnavailable
        self.batches.append(dict(counts))

    async def report(self) -> dict[str, Any]:
        return report(
            (name, sum(batch.get(name, 0) for batch in self.batches))
            for name in {name for batch in self.batches for name in batch}
        )


def passed(path: str) -> Exchange:
    """A passed-through call's exchange, answered 200."""
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode()}
    nothing: Any = None  # neither credentials nor a way to send: counting reads neither
    call = Call(Request(scope | {"query_string": b"", "headers": []}), b"", nothing, nothing)
    return Exchange(call, "v1", Response(status_code=200), 0.0)


def test_counting_writes_nothing_per_request_and_a_refused_batch_goes_with_the_next():
    store = Counting()
    traffic = Traffic(store)

    async def serve() -> None:
        for _ in range(3):
            await traffic.after(passed("/1.1/help/configuration.json"))
        assert store.batches == []
        store.down = True
        await traffic.flush_logged()
        store.down = False
        await traffic.flush_logged()

    asyncio.run(serve())

    assert store.batches == [{'["GET help/configuration", "passed through", "200"]': 3}]
    assert asyncio.run(traffic.report())["GET help/configuration"]["calls"] == 3


def test_the_sqlite_store_sums_batches(tmp_path: Path):
    from shim.stores.sqlite import connect
    from shim.stores.traffic import SQLiteTraffic

    store = SQLiteTraffic(connect(str(tmp_path / "shim.db")))
    name = json.dumps(["GET help/configuration", "passed through", "200"])
    asyncio.run(store.add({name: 2}))
    asyncio.run(store.add({name: 3}))

    assert asyncio.run(store.report())["GET help/configuration"]["calls"] == 5


def test_a_refusal_too_big_to_hold_streams_as_it_came_and_counts_by_status(
    make_client: MakeClient, fake_v2: FakeV2, settings: Settings
):
    """Only a refusal of v1.1's size is read whole: a bigger one (an error page from a proxy
    on the way, say) streams through without being held, and counts by its status alone."""
    padded = json.dumps(TIER).encode() + b" " * (2 * 1024 * 1024)
    chunks = [padded[i : i + 65536] for i in range(0, len(padded), 65536)]
    fake_v2.canned[("GET", "/1.1/statuses/retweets/1234.json")] = httpx2.Response(
        403,
        headers={"content-type": "application/json"},
        stream=httpx2.ByteStream(b"".join(chunks)),
    )
    client = make_client()
    with client.stream("GET", RETWEETS, headers=sign("GET", RETWEETS)) as answer:
        raw = b"".join(answer.iter_raw())
    client.__exit__(None, None, None)

    assert (answer.status_code, raw) == (403, padded)
    assert stored(settings)["GET statuses/retweets/:id"]["answers"] == {"403": 1}
