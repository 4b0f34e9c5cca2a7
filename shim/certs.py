"""`shim certs`: a local CA and a server certificate for the names clients connect to.

For clients with no base-URL option, the operator points the API's host name (`api.twitter.com`)
at the shim (DNS, /etc/hosts, a container's extra hosts) and makes the clients trust this CA;
the upstream stays `api.x.com`. A CA already in the folder is kept, so issuing a certificate for
more names needs no new trust.
"""

import datetime
import ipaddress
import os
import re
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from shim.config import ConfigError

HOST_NAME = re.compile(
    r"^(?=.{1,253}$)(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
    r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
)
CA_DAYS, SERVER_DAYS = 3650, 825  # 825: the longest a server certificate may live for Apple


@dataclass(frozen=True)
class Issued:
    ca: Path  # what clients trust
    cert: Path  # for `shim serve --ssl-certfile`
    key: Path  # for `shim serve --ssl-keyfile`
    new_ca: bool


def issue(folder: Path, names: Sequence[str]) -> Issued:
    """Write (or keep) the CA in `folder` and a server certificate for `names` signed by it."""
    if not names:
        raise ConfigError("name at least one host name or address, e.g. --names api.twitter.com")
    alternatives = [_alternative(name) for name in names]
    folder.mkdir(parents=True, exist_ok=True)
    ca_file, ca_key_file = folder / "ca.pem", folder / "ca-key.pem"
    new_ca = not ca_file.exists()
    if new_ca:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = _ca(ca_key)
        _write(ca_key_file, _private(ca_key), secret=True)
        _write(ca_file, ca.public_bytes(serialization.Encoding.PEM))
    else:
        ca, ca_key = _load_ca(ca_file, ca_key_file)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _server(key, ca, ca_key, names[0], alternatives)
    issued = Issued(ca_file, folder / "server.pem", folder / "server-key.pem", new_ca)
    _write(issued.key, _private(key), secret=True)
    _write(issued.cert, cert.public_bytes(serialization.Encoding.PEM))
    return issued


def check_pair(cert_file: str, key_file: str) -> None:
    """Refuse, in one line, TLS files that are missing, swapped or not a pair, before the
    server listens (uvicorn would stop with a traceback)."""
    for path in (cert_file, key_file):
        if not os.path.isfile(path):
            raise ConfigError(f"no such file: {path}")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert_file, key_file)
    except (ssl.SSLError, OSError) as error:
        swapped = b"PRIVATE KEY" in Path(cert_file).read_bytes()
        hint = "are the two swapped?" if swapped else "are they a certificate and its key?"
        raise ConfigError(
            f"--ssl-certfile {cert_file} and --ssl-keyfile {key_file} cannot serve TLS "
            f"({error.__class__.__name__}): {hint}"
        ) from None


def _alternative(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        pass
    if not HOST_NAME.match(name):
        raise ConfigError(f"{name!r} is neither a host name nor an IP address")
    return x509.DNSName(name.lower())


def _ca(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "twitter-mute-shim local CA")])
    now = datetime.datetime.now(datetime.UTC)
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def _server(
    key: ec.EllipticCurvePrivateKey,
    ca: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    common_name: str,
    alternatives: list[x509.GeneralName],
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    ca_identifier = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_identifier),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _load_ca(ca_file: Path, key_file: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    try:
        ca = x509.load_pem_x509_certificate(ca_file.read_bytes())
        key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot reuse the CA in {ca_file.parent}: {error}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ConfigError(f"{key_file} is not the key `shim certs` made")
    return ca, key


def _private(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write(path: Path, data: bytes, *, secret: bool = False) -> None:
    """Replace the file; a private key is created owner-only before a byte is written."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if secret else 0o644)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
