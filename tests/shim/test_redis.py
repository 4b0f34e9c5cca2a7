"""Two shim instances sharing a real Redis: what one knows, the other knows."""

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
import redis
from starlette.testclient import TestClient

from shim.config import ConfigError
from shim.serving.app import create_app
from shim.stores.clock import store_clock
from shim.stores.redis import async_client
from shim.stores.watch import MARKER, StoreWatch, load_marker, mark
from tests.conftest import MakeClient
from tests.fakes import ALICE, BOB, DAVE, REQUEST_TOKEN, VERIFIER, FakeV2, sign
from tests.servers import DURABLE, redis_server
from tests.stored import Stored

BASE = "http://testserver"
CREATE = f"{BASE}/1.1/mutes/users/create.json?screen_name=Twitter"
ADMIN_TOKEN = "fake-admin-token-of-32-characters"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server for this module, with noeviction (its default) and persistence."""
    with redis_server(tmp_path_factory.mktemp("redis"), *DURABLE) as served:
        yield served.url


def fresh(redis_url: str) -> None:
    """Empty Redis, then store the test users' tokens there, where every instance finds them."""
    redis.Redis.from_url(redis_url).flushdb()
    store = Stored(redis_url=redis_url)
    for user in (ALICE, BOB):
        store.add(user.token, user.secret)


@pytest.fixture
def two(make_client: MakeClient, redis_url: str) -> tuple[TestClient, TestClient]:
    """Two instances of the shim, as behind a load balancer, on one Redis emptied for the test."""
    fresh(redis_url)
    return (
        make_client(redis_url=redis_url, admin_token=ADMIN_TOKEN),
        make_client(redis_url=redis_url, admin_token=ADMIN_TOKEN),
    )


def test_a_nonce_replayed_to_the_other_instance_is_refused(two, fake_v2: FakeV2):
    first, second = two
    headers = sign("POST", CREATE)

    assert first.post(CREATE, headers=headers).status_code == 200
    calls = len(fake_v2.calls)
    replayed = second.post(CREATE, headers=headers)

    assert (replayed.status_code, replayed.json()["errors"][0]["code"]) == (401, 32)
    assert len(fake_v2.calls) == calls


def test_a_lookup_cached_by_one_instance_serves_the_other(two, fake_v2: FakeV2):
    first, second = two
    first.post(CREATE, headers=sign("POST", CREATE))
    second.post(CREATE, headers=sign("POST", CREATE))

    assert fake_v2.paths().count(("GET", "/2/users/by/username/Twitter")) == 1


def test_the_switch_flipped_at_one_instance_holds_at_the_other(two, fake_v2: FakeV2):
    first, second = two
    first.post(f"{BASE}/_shim/all-v1?on=true", headers=ADMIN)
    second.post(CREATE, headers=sign("POST", CREATE))

    assert fake_v2.paths() == [("POST", "/1.1/mutes/users/create.json")]


def test_cursors_from_one_instance_work_at_the_other(two, fake_v2: FakeV2):
    fake_v2.muted |= {(ALICE.user_id, str(n)) for n in range(1000, 1030)}
    first, second = two
    url = f"{BASE}/1.1/mutes/users/ids.json?count=20"
    page = first.get(url, headers=sign("GET", url)).json()
    url = f"{BASE}/1.1/mutes/users/ids.json?count=20&cursor={page['next_cursor_str']}"
    rest = second.get(url, headers=sign("GET", url)).json()

    assert len(page["ids"]) + len(rest["ids"]) == 30
    assert rest["next_cursor"] == 0


def test_a_user_who_signs_in_at_one_instance_is_known_at_the_other(two, fake_v2: FakeV2):
    first, second = two
    request_url, access_url = f"{BASE}/oauth/request_token", f"{BASE}/oauth/access_token"
    first.post(request_url, headers=sign("POST", request_url, None, callback="oob"))
    granted = second.post(
        access_url, headers=sign("POST", access_url, REQUEST_TOKEN, verifier=VERIFIER)
    )
    muted = first.post(CREATE, headers=sign("POST", CREATE, DAVE))

    assert granted.status_code == 200
    assert DAVE.token in granted.text
    assert muted.status_code == 200


def test_secrets_in_redis_are_encrypted_with_the_key(redis_url: str):
    fresh(redis_url)
    client = redis.Redis.from_url(redis_url)
    key = "0fake0fake0fake0fake0fake0fake0fake0fake0fk="
    client.delete("shim:tokens")
    Stored(redis_url=redis_url, key=key).add(DAVE.token, DAVE.secret)

    assert all(DAVE.secret not in str(value) for value in client.hvals("shim:tokens"))
    assert Stored(redis_url=redis_url, key=key).secret(DAVE.token) == DAVE.secret
    with pytest.raises(ConfigError, match="is not the key"):
        Stored(redis_url=redis_url, key="1fake1fake1fake1fake1fake1fake1fake1fake1fk=")


def test_shim_tokens_manages_the_tokens_every_instance_reads(
    two, redis_url: str, monkeypatch, capsys
):
    """The operator's commands and the request path use one token store: a token removed with
    `shim tokens remove` is refused by an instance that has not read it lately, and `encrypt`
    seals every secret in the hash."""
    from shim.operator.cli import main

    first, second = two
    key = "0fake0fake0fake0fake0fake0fake0fake0fake0fk="
    monkeypatch.setenv("SHIM_REDIS_URL", redis_url)
    monkeypatch.setenv("SHIM_TOKEN_SECRET", DAVE.secret)

    assert main(["tokens", "add", "--token", DAVE.token]) == 0
    assert main(["tokens", "list"]) == 0
    listed = capsys.readouterr().out
    assert listed.count("secret in clear") == 3
    assert DAVE.token not in listed
    assert DAVE.secret not in listed
    assert first.post(CREATE, headers=sign("POST", CREATE)).status_code == 200

    monkeypatch.setenv("SHIM_SECRET_KEY", key)
    assert main(["tokens", "encrypt"]) == 0
    assert main(["tokens", "remove", "--token", ALICE.token]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "encrypted 3 secrets"
    stored = redis.Redis.from_url(redis_url).hvals("shim:tokens")
    assert all(DAVE.secret not in str(value) for value in stored)
    assert Stored(redis_url=redis_url, key=key).secret(DAVE.token) == DAVE.secret
    refused = second.post(CREATE, headers=sign("POST", CREATE))
    assert (refused.status_code, refused.json()["errors"][0]["code"]) == (401, 89)


def test_comparisons_from_both_instances_make_one_report(make_client, redis_url, tmp_path: Path):
    fresh(redis_url)
    routing = tmp_path / "routing.toml"
    routing.write_text('[routes."mutes/users/create"]\nmode = "compare"\n')
    instances = [make_client(redis_url=redis_url, config_path=str(routing)) for _ in range(2)]
    for instance in instances:
        instance.post(CREATE, headers=sign("POST", CREATE))

    report = instances[0].portal.call(instances[0].app.state.resources.comparisons.report)
    assert report["mutes/users/create"]["requests"] == 2


def test_the_report_command_reads_redis(make_client, redis_url, monkeypatch, capsys, tmp_path):
    from shim.operator.cli import main

    fresh(redis_url)
    routing = tmp_path / "routing.toml"
    routing.write_text('[routes."mutes/users/create"]\nmode = "compare"\n')
    instance = make_client(redis_url=redis_url, config_path=str(routing))
    instance.post(CREATE, headers=sign("POST", CREATE))
    monkeypatch.setenv("SHIM_REDIS_URL", redis_url)
    monkeypatch.setenv("SHIM_DB", str(tmp_path / "elsewhere.db"))  # not where the shim wrote

    assert main(["compare", "report"]) == 0
    assert "mutes/users/create: 1 compared" in capsys.readouterr().out


def test_the_migration_report_sums_both_instances_counts(
    two, redis_url, monkeypatch, capsys, tmp_path
):
    """Each instance adds its counts to one Redis hash; `shim report` reads their sum."""
    from shim.operator.cli import main

    for instance in two:
        instance.post(CREATE, headers=sign("POST", CREATE))
    page = two[0].get(f"{BASE}/_shim/", headers=ADMIN).text  # adds the first one's counts
    for instance in two:
        instance.__exit__(None, None, None)  # the second adds its counts as it stops
    monkeypatch.setenv("SHIM_REDIS_URL", redis_url)
    monkeypatch.setenv("SHIM_DB", str(tmp_path / "elsewhere.db"))  # not where the shim wrote

    assert "<td>POST mutes/users/create</td><td>1</td>" in page
    assert main(["report", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows["POST mutes/users/create"]["served"] == {"v2": 2}
    assert redis.Redis.from_url(redis_url).ttl("shim:traffic") > 0


def test_operator_pages_never_scan_the_keyspace(two, redis_url: str):
    """With 20,000 live keys a scan per scrape took seconds and stalled every request."""
    first, _ = two
    direct = redis.Redis.from_url(redis_url)
    with direct.pipeline(transaction=False) as pipe:
        for n in range(20_000):
            pipe.set(f"shim:nonce:{n:064x}", b"1", ex=600)
        pipe.execute()
    first.post(CREATE, headers=sign("POST", CREATE))
    direct.config_resetstat()

    for page in ("/metrics", "/_shim/", "/_shim/stats"):
        assert first.get(f"{BASE}{page}", headers=ADMIN).status_code == 200

    used = direct.info("commandstats")
    assert not {"cmdstat_scan", "cmdstat_keys", "cmdstat_dbsize"} & set(used), used


def test_a_paused_redis_fails_closed_at_once_and_recovers(two, redis_url: str):
    first, _ = two
    direct = redis.Redis.from_url(redis_url)
    direct.execute_command("CLIENT", "PAUSE", "1500", "ALL")
    started = time.monotonic()
    refused = first.post(CREATE, headers=sign("POST", CREATE))
    waited = time.monotonic() - started

    assert (refused.status_code, refused.json()["errors"][0]["code"]) == (503, 130)
    assert waited < 1.2  # one bounded Redis call, not the pause
    deadline = time.monotonic() + 10
    while (answer := first.post(CREATE, headers=sign("POST", CREATE))).status_code != 200:
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.1)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--maxmemory-policy", "volatile-lru", *DURABLE), "noeviction"),
        (("--maxmemory-policy", "allkeys-lru", *DURABLE), "noeviction"),
        (("--save", "", "--appendonly", "no"), "no persistence"),
    ],
)
def test_a_redis_that_could_forget_is_refused_at_start(
    make_client, tmp_path: Path, options: tuple[str, ...], message: str
):
    with redis_server(tmp_path, *options) as served, pytest.raises(ConfigError, match=message):
        make_client(redis_url=served.url)


def redis_calls(probe: redis.Redis) -> dict[str, int]:
    """Commands Redis has run so far, by name (INFO itself among them)."""
    stats = probe.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(entry["calls"]) for name, entry in stats.items()}


def test_a_repeated_call_costs_one_redis_round_trip(two, redis_url: str):
    """Off the hot path: the token's secret and the cached lookup come from the instance's own
    memory the second time; only the nonce, which every instance must see, goes to Redis, with
    the marker that tells a Redis that lost its data in the same round trip."""
    first, _ = two
    probe = redis.Redis.from_url(redis_url)
    probe.ping()  # its connection made before counting
    first.post(CREATE, headers=sign("POST", CREATE))  # learns the secret and the lookup
    time.sleep(1.1)  # past the once-a-second looks at the switch and the stored routes
    first.post(CREATE, headers=sign("POST", CREATE))
    # Each instance also looks at Redis every few seconds (its marker and CONFIG) and adds its
    # traffic counts (HINCRBY): a count that caught one of those is taken again; it cannot
    # catch two in a row.
    for _ in range(2):
        before = redis_calls(probe)
        answer = first.post(CREATE, headers=sign("POST", CREATE))
        after = redis_calls(probe)
        ran = {n: c - before.get(n, 0) for n, c in after.items() if c != before.get(n, 0)}
        if not {"config|get", "hincrby"} & set(ran):
            break
    assert answer.status_code == 200
    # The marker's GET and the nonce's SET NX (one pipeline), and this test's own INFO.
    assert ran == {"get": 1, "set": 1, "info": 1}


@contextmanager
def instance(settings, fake_v2: FakeV2, redis_url: str, clock) -> Iterator[TestClient]:
    """One instance on the shared Redis, its wall clock `clock`."""
    changed = replace(settings, redis_url=redis_url, admin_token=ADMIN_TOKEN)
    with TestClient(create_app(changed, clock)) as client:
        yield client


def ahead(seconds: float):
    return lambda: time.time() + seconds


def nonce_kept_until(redis_url: str) -> float:
    """When Redis drops the one nonce stored, in seconds on Redis's own clock."""
    direct = redis.Redis.from_url(redis_url, decode_responses=True)
    (key,) = direct.keys("shim:nonce:*")
    return int(direct.pexpiretime(str(key))) / 1000


def test_a_clock_stepped_on_one_instance_keeps_the_nonce_for_the_whole_window(
    settings, fake_v2: FakeV2, redis_url: str
):
    """The issue's case: stepped +290 s, the nonce was kept 11 s, and a replay 14 s later to an
    instance with the right clock muted twice."""
    fresh(redis_url)
    with (
        instance(settings, fake_v2, redis_url, ahead(290)) as stepped,
        instance(settings, fake_v2, redis_url, time.time) as right,
    ):
        headers = sign("POST", CREATE)
        timestamp = int(headers["Authorization"].split('oauth_timestamp="')[1].split('"')[0])
        assert stepped.post(CREATE, headers=headers).status_code == 200
        calls = len(fake_v2.calls)

        assert nonce_kept_until(redis_url) >= timestamp + 300
        replayed = right.post(CREATE, headers=headers)
        assert (replayed.status_code, replayed.json()["errors"][0]["code"]) == (401, 32)
        assert len(fake_v2.calls) == calls


def test_a_replay_after_the_stepped_instance_would_have_dropped_the_nonce_is_refused(
    settings, fake_v2: FakeV2, redis_url: str
):
    """The replay itself, once the time the stepped instance gave the nonce has passed: a step
    of 298 s left it 3 s (the issue's 290 s left 11)."""
    fresh(redis_url)
    with (
        instance(settings, fake_v2, redis_url, ahead(298)) as stepped,
        instance(settings, fake_v2, redis_url, time.time) as right,
    ):
        headers = sign("POST", CREATE)
        assert stepped.post(CREATE, headers=headers).status_code == 200
        time.sleep(4)
        replayed = right.post(CREATE, headers=headers)

    assert (replayed.status_code, replayed.json()["errors"][0]["code"]) == (401, 32)
    assert [method for method, _ in fake_v2.paths()].count("POST") == 1  # muted once


def skew_gauge(page: str) -> float:
    (line,) = [line for line in page.splitlines() if line.startswith("shim_clock_skew_seconds ")]
    return float(line.split()[1])


def test_an_instance_whose_clock_disagrees_with_redis_says_so(
    settings, fake_v2: FakeV2, redis_url: str, caplog: pytest.LogCaptureFixture
):
    fresh(redis_url)
    with (
        instance(settings, fake_v2, redis_url, ahead(290)) as stepped,
        instance(settings, fake_v2, redis_url, time.time) as right,
    ):
        for _ in range(5):  # over 2.4 s: Redis's clock read again twice
            assert stepped.post(CREATE, headers=sign("POST", CREATE)).status_code == 200
            time.sleep(0.6)
        stepped_page = stepped.get(f"{BASE}/metrics", headers=ADMIN).text
        right_page = right.get(f"{BASE}/metrics", headers=ADMIN).text

    warnings = [r.getMessage() for r in caplog.records if "Redis's" in r.getMessage()]
    assert len(warnings) == 1, warnings  # once, not once a request
    assert "clock is 290" in warnings[0]
    assert "NTP" in warnings[0]
    assert 289 < skew_gauge(stepped_page) < 291
    assert abs(skew_gauge(right_page)) < 1


def test_shim_check_says_when_the_clock_disagrees_with_redis(settings, redis_url: str):
    from shim.operator.check import offline

    fresh(redis_url)
    changed = replace(settings, redis_url=redis_url)
    stepped = {v.item: v for v in offline(changed, ahead(-40))}
    right = {v.item: v for v in offline(changed, time.time)}

    assert stepped["clock"].status == "warn"
    assert "40.0 s behind Redis's" in stepped["clock"].detail
    assert "NTP" in stepped["clock"].fix
    assert right["clock"].status == "ok"


def test_routes_kept_under_their_former_names_are_renamed_at_start(make_client, redis_url: str):
    """Routes an earlier version kept (`shim:routes`, `shim:routing_audit`) are found under
    the names that put both in one Redis Cluster slot."""
    fresh(redis_url)
    direct = redis.Redis.from_url(redis_url)
    direct.set("shim:routes", '{"mutes/users/create": {"mode": "v1"}}')
    direct.rpush("shim:routing_audit", "an earlier change")
    make_client(redis_url=redis_url)

    assert direct.get("shim:{routes}") == b'{"mutes/users/create": {"mode": "v1"}}'
    assert direct.lrange("shim:{routes}:audit", 0, -1) == [b"an earlier change"]
    assert not direct.exists("shim:routes", "shim:routing_audit")


def test_a_loss_met_by_many_requests_at_once_is_said_once(redis_url: str, caplog):
    """Requests under way together all read the empty Redis; one line says so, and all of
    them take the same marker, so every one refuses the same requests."""
    fresh(redis_url)
    direct = redis.Redis.from_url(redis_url)
    clock = store_clock(redis_url, time.time)
    marker = mark(direct, clock)
    direct.flushdb()

    async def together() -> list[float]:
        client = async_client(redis_url)
        watch = StoreWatch(client, clock, marker)
        try:
            await asyncio.gather(*(watch.seen(None) for _ in range(10)))
            stored = load_marker(direct.get(MARKER))
            assert stored is not None
            return [watch.whole_since(), stored.since]
        finally:
            await client.aclose()

    with caplog.at_level(logging.WARNING, "shim.shared"):
        since, stored = asyncio.run(together())

    assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1
    assert "Redis lost the shim's data" in caplog.records[0].message
    assert since == stored > marker.since
