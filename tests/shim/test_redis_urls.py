"""SHIM_REDIS_URL's forms (`shim.stores.connections`): one server, Sentinel, Cluster; and a
malformed or unreachable one is one line naming the setting, never a traceback or a password."""

import pytest

from shim.config import ConfigError
from shim.stores.connections import sync_client, where
from tests.servers import free_port


def test_sentinel_nodes_service_database_and_credentials():
    at = where(
        "rediss+sentinel://shim:pw@10.0.0.1:26379,10.0.0.2:26380/mymaster/2"
        "?ssl_ca_certs=/ca.pem&sentinel_password=spw"
    )
    options = at.options()

    assert (at.kind, at.service, at.nodes) == (
        "sentinel",
        "mymaster",
        (("10.0.0.1", 26379), ("10.0.0.2", 26380)),
    )
    assert (options["username"], options["password"], options["db"]) == ("shim", "pw", 2)
    assert (options["ssl"], options["ssl_ca_certs"]) == (True, "/ca.pem")
    assert at.sentinel == {"password": "spw"}  # the sentinels' own, not the master's


def test_cluster_nodes_and_credentials():
    at = where("redis+cluster://:pw@node1:7000,node2:7001")

    assert (at.kind, at.nodes) == ("cluster", (("node1", 7000), ("node2", 7001)))
    assert at.options()["password"] == "pw"
    assert "ssl" not in at.options()


def test_one_server_is_redis_pys_own_url():
    assert where("rediss://u:p@h:6380/1?ssl_ca_certs=/ca.pem").kind == "single"


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://u:secret@h:6379", "not a redis://"),
        ("redis+cloud://u:secret@h:6379", "not a redis://"),
        ("redis+sentinel://u:secret@h:26379", "names the service"),
        ("redis+cluster://u:secret@h:port", "host:port"),
        ("redis://:secret", "a port is not a number"),  # the password read as a port
        ("redis+cluster://u:secret@h:1,i:70000", "a port is not a number"),
        ("redis://u:secret@h:6379/?ssl_cert_reqs=none", "TLS options need rediss://"),
        ("redis+sentinel://u:secret@h:26379/m?socket_timeout=x", "'socket_timeout'"),
    ],
)
def test_a_malformed_url_is_one_line_without_its_password(url, said):
    with pytest.raises(ConfigError) as refused:
        where(url)

    assert said in str(refused.value)
    assert "secret" not in str(refused.value)


def test_an_unreachable_cluster_is_a_configuration_error():
    """Before: RedisClusterUnreachableError escaped `shim serve` as a traceback."""
    with pytest.raises(ConfigError, match="cannot reach Redis"):
        sync_client(f"redis+cluster://u:secret@127.0.0.1:{free_port()}", timeout=0.5)
