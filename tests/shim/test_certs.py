"""`shim certs` and the loop guard: what host redirection needs, with no client change at all."""

import datetime
import ipaddress
import socket
import ssl
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from shim.config import ConfigError, Settings
from shim.edge.server import refuse_loop
from shim.operator import certs
from shim.operator.cli import main
from shim.serving.app import create_app
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


def test_names_the_ca_permits_keep_the_ca_clients_already_trust(tmp_path: Path, capsys):
    assert main(["certs", "--names", "localhost,127.0.0.1", "--out", str(tmp_path)]) == 0
    ca = (tmp_path / "ca.pem").read_bytes()
    assert main(["certs", "--names", "localhost", "--out", str(tmp_path)]) == 0

    assert (tmp_path / "ca.pem").read_bytes() == ca
    assert "kept" in capsys.readouterr().out
    assert b"BEGIN CERTIFICATE" in (tmp_path / "server.pem").read_bytes()


def test_a_name_the_ca_does_not_permit_makes_a_new_ca_and_says_so(tmp_path: Path, capsys):
    assert main(["certs", "--names", "localhost", "--out", str(tmp_path)]) == 0
    ca = (tmp_path / "ca.pem").read_bytes()
    capsys.readouterr()
    assert main(["certs", "--names", "api.twitter.com,localhost", "--out", str(tmp_path)]) == 0

    assert (tmp_path / "ca.pem").read_bytes() != ca
    printed = capsys.readouterr().out
    assert "does not permit api.twitter.com" in printed
    assert "trust the new" in printed
    assert permitted(tmp_path / "ca.pem") == {x509.DNSName("api.twitter.com"), LOCALHOST}


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


LOCALHOST = x509.DNSName("localhost")
LOOPBACK = x509.IPAddress(ipaddress.ip_network("127.0.0.1/32"))
EVERY_IP = {x509.IPAddress(ipaddress.ip_network(n)) for n in ("0.0.0.0/0", "::/0")}


def load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def constraints(ca: Path) -> x509.Extension[x509.NameConstraints]:
    return load(ca).extensions.get_extension_for_class(x509.NameConstraints)


def permitted(ca: Path) -> set[x509.GeneralName]:
    return set(constraints(ca).value.permitted_subtrees or ())


@pytest.mark.parametrize(
    ("names", "allowed", "excluded"),
    [
        ("localhost,127.0.0.1", {LOCALHOST, LOOPBACK}, set()),
        ("api.twitter.com,localhost", {x509.DNSName("api.twitter.com"), LOCALHOST}, EVERY_IP),
        ("127.0.0.1", {LOOPBACK}, {x509.DNSName("")}),  # "" is every host name
    ],
)
def test_the_ca_may_sign_for_exactly_the_names_asked(tmp_path: Path, names, allowed, excluded):
    assert main(["certs", "--names", names, "--out", str(tmp_path)]) == 0

    found = constraints(tmp_path / "ca.pem")
    assert found.critical
    assert permitted(tmp_path / "ca.pem") == allowed
    assert set(found.value.excluded_subtrees or ()) == excluded
    # and the certificate made with it passes a real verification, for each name
    cert, key = tmp_path / "server.pem", tmp_path / "server-key.pem"
    for name in names.split(","):
        assert verified(tmp_path / "ca.pem", cert, key, name) == "ok"


@pytest.mark.parametrize(
    ("names", "other"),
    [
        ("localhost,127.0.0.1", "api.x.com"),
        ("localhost,127.0.0.1", "10.1.2.3"),
        ("api.twitter.com", "127.0.0.1"),
        ("127.0.0.1", "localhost"),
    ],
)
def test_a_certificate_the_ca_key_signs_for_another_name_is_refused(
    tmp_path: Path, names: str, other: str
):
    """Whoever takes ca-key.pem can sign for the names asked and no others."""
    assert main(["certs", "--names", names, "--out", str(tmp_path)]) == 0
    ca = load(tmp_path / "ca.pem")
    ca_key = serialization.load_pem_private_key((tmp_path / "ca-key.pem").read_bytes(), None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    forged = sign_leaf(ca, ca_key, key, other)
    cert, key_file = tmp_path / "forged.pem", tmp_path / "forged-key.pem"
    cert.write_bytes(forged.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(private(key))

    assert "subtree violation" in verified(tmp_path / "ca.pem", cert, key_file, other)


def test_the_ca_and_the_certificate_live_90_days(tmp_path: Path, capsys):
    assert main(["certs", "--out", str(tmp_path)]) == 0

    for made in (load(tmp_path / "ca.pem"), load(tmp_path / "server.pem")):
        life = made.not_valid_after_utc - made.not_valid_before_utc
        assert datetime.timedelta(days=90) <= life <= datetime.timedelta(days=90, minutes=5)
    assert "run shim certs again before" in capsys.readouterr().out


def test_a_ca_without_name_constraints_is_replaced(tmp_path: Path, capsys):
    """A CA made by an earlier shim could sign for any name: it is not used again, and its key
    is overwritten; clients must trust the new one (and should drop the old)."""
    old_key = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "ca.pem").write_bytes(
        unconstrained_ca(old_key).public_bytes(serialization.Encoding.PEM)
    )
    (tmp_path / "ca-key.pem").write_bytes(private(old_key))

    assert main(["certs", "--names", "localhost", "--out", str(tmp_path)]) == 0

    assert permitted(tmp_path / "ca.pem") == {LOCALHOST}
    assert (tmp_path / "ca-key.pem").read_bytes() != private(old_key)
    printed = capsys.readouterr().out
    assert "no name constraints" in printed
    assert "remove the old one" in printed


def test_a_ca_near_its_end_is_renewed(tmp_path: Path, monkeypatch, capsys):
    assert main(["certs", "--names", "localhost", "--out", str(tmp_path)]) == 0
    ca = (tmp_path / "ca.pem").read_bytes()
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=80)
    monkeypatch.setattr(certs, "now", lambda: later)
    capsys.readouterr()
    assert main(["certs", "--names", "localhost", "--out", str(tmp_path)]) == 0

    assert (tmp_path / "ca.pem").read_bytes() != ca
    assert "ends on" in capsys.readouterr().out


def verified(ca: Path, cert: Path, key: Path, name: str) -> str:
    """A real TLS handshake (Python's ssl, OpenSSL) of a client trusting `ca` and asking for
    `name` with a server holding `cert`: "ok", or why verification failed."""
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(ca))
    near, far = socket.socketpair()
    near.settimeout(5)
    far.settimeout(5)

    def serve() -> None:
        try:
            with server.wrap_socket(near, server_side=True) as tls:
                tls.recv(1)
        except (ssl.SSLError, OSError):
            pass  # the client refused the certificate

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with client.wrap_socket(far, server_hostname=name) as tls:
            tls.sendall(b"x")
        return "ok"
    except ssl.SSLCertVerificationError as error:
        return str(error.verify_message)
    finally:
        thread.join(5)


def sign_leaf(
    ca: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    key: ec.EllipticCurvePrivateKey,
    name: str,
) -> x509.Certificate:
    try:
        alternative: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        alternative = x509.DNSName(name)
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([alternative]), critical=True)
        .sign(ca_key, hashes.SHA256())
    )


def unconstrained_ca(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    """A CA as `shim certs` made them before name constraints: good for any name, ten years."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "twitter-mute-shim local CA")])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def private(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
