"""`shim certs` and the loop guard: what host redirection needs, with no client change at all."""

import socket
import ssl
from pathlib import Path

import pytest

from shim.app import create_app
from shim.cli import main
from shim.config import ConfigError, Settings
from shim.server import refuse_loop
from tests.servers import free_port, serving


def handshake(port: int, ca: Path, name: str) -> str:
    """A TLS handshake with the shim on 127.0.0.1 as a client that asked for `name`."""
    context = ssl.create_default_context(cafile=str(ca))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=name) as tls,
    ):
        return str(tls.version())


def test_a_client_redirected_to_the_shim_trusts_it_for_the_api_host(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
):
    assert main(["certs", "--names", "api.twitter.com,localhost", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    ca, cert, key = tmp_path / "ca.pem", tmp_path / "server.pem", tmp_path / "server-key.pem"

    assert "REQUESTS_CA_BUNDLE" in printed
    assert "NODE_EXTRA_CA_CERTS" in printed
    assert key.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "ca-key.pem").stat().st_mode & 0o777 == 0o600
    with serving(create_app(settings), ssl_certfile=str(cert), ssl_keyfile=str(key)) as port:
        assert handshake(port, ca, "api.twitter.com").startswith("TLS")
        assert handshake(port, ca, "localhost").startswith("TLS")
        with pytest.raises(ssl.SSLCertVerificationError):
            handshake(port, ca, "api.x.com")  # a name it was not made for


def test_more_names_later_keep_the_ca_clients_already_trust(tmp_path: Path):
    assert main(["certs", "--names", "localhost", "--out", str(tmp_path)]) == 0
    ca = (tmp_path / "ca.pem").read_bytes()
    assert main(["certs", "--names", "api.twitter.com,127.0.0.1", "--out", str(tmp_path)]) == 0

    assert (tmp_path / "ca.pem").read_bytes() == ca
    assert b"BEGIN CERTIFICATE" in (tmp_path / "server.pem").read_bytes()


@pytest.mark.parametrize("names", ["", "not a name", "api..twitter.com"])
def test_bad_names_are_one_line_errors(tmp_path: Path, names: str, capsys):
    assert main(["certs", "--names", names, "--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("shim: ")
    assert error.count("\n") == 1
    assert not (tmp_path / "server.pem").exists()


def test_an_upstream_that_leads_back_to_the_shim_is_refused_at_start(monkeypatch, capsys):
    """api.twitter.com redirected to the shim, and also named as the upstream: a circle."""
    port = free_port()
    monkeypatch.setenv("SHIM_CONSUMER_KEY", "fakeconsumerkey0000000000")
    monkeypatch.setenv("SHIM_CONSUMER_SECRET", "fake-consumer-secret")
    monkeypatch.setenv("SHIM_UPSTREAM_URL", f"https://localhost:{port}")

    assert main(["serve", "--port", str(port)]) == 2
    error = capsys.readouterr().err
    assert "resolves to" in error
    assert "where this shim listens" in error
    assert error.count("\n") == 1


@pytest.mark.parametrize(
    ("upstream", "host"),
    [
        ("https://127.0.0.1:9443", "127.0.0.1"),  # the same machine, another port
        ("https://192.0.2.10:8443", "0.0.0.0"),  # another machine (TEST-NET-1), the same port
        ("http://127.0.0.2:8443", "127.0.0.1"),  # a local address the shim does not listen on
    ],
)
def test_other_upstreams_pass_the_guard(upstream: str, host: str):
    refuse_loop(upstream, host, 8443)


def test_the_guard_sees_every_local_address_when_listening_on_all():
    with pytest.raises(ConfigError):
        refuse_loop("http://127.0.0.1:8443", "0.0.0.0", 8443)
