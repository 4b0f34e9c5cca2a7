"""Issue 24, item 7: Redis as operators run it at scale, each a real server the test starts
under real `shim serve` processes: TLS, an ACL user, a master found through a sentinel, and a
Redis Cluster shared by two instances while one of its masters fails over."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.deadlines import until
from tests.e2e.processes import start
from tests.e2e.redis_shims import MUTE, Running, cluster, code, sentinel
from tests.fakes import ALICE, FakeV2, FakeV2App, sign, twitter_user
from tests.servers import DURABLE, installed, redis_server, serving

pytestmark = pytest.mark.e2e

IDS = "/1.1/mutes/users/ids.json?count=20"
PASSWORD = "acl-pass-not-to-be-logged"
# The ACL docs/operations.md gives: the shim's keys and the commands it needs, nothing more.
USER = ("--user", "default", "off", "--user", "shim", "on", f">{PASSWORD}", "~shim:*")
ALLOWED = ("+@read", "+@write", "+@transaction", "+time", "+ping", "+config|get", "+@connection")
ACL = (*USER, *ALLOWED)


@pytest.fixture
def fake() -> FakeV2:
    found = FakeV2(twitter_user())
    found.muted |= {(ALICE.user_id, str(n)) for n in range(1000, 1030)}
    return found


@pytest.fixture
def upstream(fake: FakeV2) -> Iterator[str]:
    with serving(FakeV2App(fake)) as port:
        yield f"http://127.0.0.1:{port}"


def served_once(one: Running, other: Running | None = None) -> None:
    """A request is served by `one`; its replay is refused there and at `other`, as a replay
    (the same signature, served once: both sign for one origin)."""
    headers = sign("POST", one.url(MUTE))
    assert one.call(MUTE, headers).status_code == 200
    for replayed_at in (one, other or one):
        assert code(replayed_at.call(MUTE, {**headers})) == (401, 32)
    if other:
        fresh = sign("POST", one.url(MUTE))
        assert other.call(MUTE, fresh).status_code == 200  # the signature holds at other


def test_redis_over_tls(tmp_path: Path, tls, upstream):
    with redis_server(tmp_path, *DURABLE, tls=tls) as served:
        assert served.url.startswith("rediss://")
        one = Running(tmp_path / "shim", tls, upstream, served.url)
        try:
            served_once(one)
        finally:
            assert "Traceback" not in one.stop()


def test_an_acl_user_signs_in_and_its_password_is_never_printed(tmp_path: Path, tls, upstream):
    with redis_server(tmp_path, *DURABLE, *ACL, user=f"shim:{PASSWORD}") as served:
        one = Running(tmp_path / "shim", tls, upstream, served.url)
        try:
            served_once(one)
            assert one.check(upstream).count(PASSWORD) == 0
        finally:
            output = one.stop()
        assert PASSWORD not in output
        wrong = served.url.replace(PASSWORD, "wrong-" + PASSWORD)
        with pytest.raises(RuntimeError) as refused:
            start(tmp_path / "shim", tls, upstream, env={"SHIM_REDIS_URL": wrong})
        said = str(refused.value)
        assert "SHIM_REDIS_URL" in said
        assert PASSWORD not in said
        assert "Traceback" not in said


def test_the_master_found_through_a_sentinel_and_after_its_failover(tmp_path: Path, tls, upstream):
    for name in ("master", "replica"):
        (tmp_path / name).mkdir()
    with (
        redis_server(tmp_path / "master", *DURABLE) as master,
        redis_server(
            tmp_path / "replica", *DURABLE, "--replicaof", "127.0.0.1", str(master.port)
        ) as replica,
        sentinel(tmp_path / "sentinel", master) as watching,
    ):
        until(
            lambda: (
                redis.Redis(port=replica.port).info("replication")["master_link_status"] == "up"
            ),
            10,
        )
        one = Running(tmp_path / "shim", tls, upstream, f"redis+sentinel://{watching}/shim/0")
        try:
            served_once(one)
            host, port = watching.split(":")
            redis.Redis(host=host, port=int(port)).execute_command("SENTINEL FAILOVER", "shim")
            until(lambda: replica_is_master(replica.port), 20)
            # Refused (503, 130) until the client asks the sentinel again, then served.
            until(lambda: one.call(MUTE).status_code == 200, 20)
            served_once(one)
        finally:
            assert "Traceback" not in one.stop()


def test_two_instances_share_a_cluster_through_a_failover(
    tmp_path: Path, tls, upstream, fake: FakeV2
):
    with cluster(tmp_path / "cluster") as servers:
        nodes = ",".join(f"127.0.0.1:{s.port}" for s in servers[:3])
        url = f"redis+cluster://{nodes}"
        # Behind one balancer: both verify signatures made for one public origin.
        behind = "https://shim.example"
        one = Running(tmp_path / "one", tls, upstream, url, SHIM_PUBLIC_URL=behind)
        other = Running(tmp_path / "other", tls, upstream, url, False, SHIM_PUBLIC_URL=behind)
        try:
            served_once(one, other)
            page = one.call(IDS).json()
            rest = other.call(f"{IDS}&cursor={page['next_cursor_str']}").json()
            muted = sum(user == ALICE.user_id for user, _ in fake.muted)
            assert len(page["ids"]) + len(rest["ids"]) == muted  # one's cursor, at other

            # The route and its audit line in one transaction: one slot (before: CROSSSLOT).
            assert (
                one.command(upstream, "routing", "set", "mutes/users/create", "--mode", "v1")[0]
                == 0
            )
            assert "mutes/users/create" in one.command(upstream, "routing", "show")[1]
            until(lambda: other.call(MUTE).ok and fake.paths()[-1][1].startswith("/1.1/"), 5)

            replica = servers[3]  # a replica takes over from its master
            failover = [installed("redis-cli"), "-p", str(replica.port), "cluster", "failover"]
            subprocess.run(failover, check=True, capture_output=True, timeout=10)
            until(lambda: replica_is_master(replica.port), 20)
            # Requests refused (503, 130) while the clients learn the new master, then served.
            until(lambda: one.call(MUTE).status_code == 200, 20)
            until(lambda: other.call(MUTE).status_code == 200, 20)
            served_once(other, one)
            assert other.problems() == set()
        finally:
            outputs = one.stop() + other.stop()
        assert "Traceback" not in outputs


def replica_is_master(port: int) -> bool:
    return bool(redis.Redis(port=port).role()[0] == b"master")
