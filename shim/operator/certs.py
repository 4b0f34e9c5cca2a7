"""`shim certs`: a local CA and a server certificate for the names clients connect to.

For clients with no base-URL option, the operator points the API's host name (`api.twitter.com`,
and `upload.twitter.com` for clients that upload media) at the shim (DNS, /etc/hosts, a
container's extra hosts) and makes the clients trust this CA; the upstream stays `api.x.com`.

A CA trusted by clients is a key that could vouch for any site to them; so this one carries
critical X.509 name constraints permitting exactly the names asked (a host name's constraint
also covers its subdomains: X.509 can say no less), any other kind of name (IP addresses when
none is asked, host names when none is) excluded, and lives 90 days, as the certificate does.
A CA already in the folder is kept while it permits every name asked and has 30 days left, so
renewing the certificate needs no new trust; otherwise, or when it has no name constraints (made
by an earlier shim: good for any name, ten years), a new one replaces it, key and all, and the
operator is told to trust the new one and remove the old one.
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
DAYS = 90  # the CA's life and the certificate's (never past the CA's end)
RENEW_DAYS = 30  # a kept CA with less left than this is replaced
EVERY_IP = (
    x509.IPAddress(ipaddress.ip_network("0.0.0.0/0")),
    x509.IPAddress(ipaddress.ip_network("::/0")),
)
EVERY_HOST = x509.DNSName("")  # as a constraint, "" matches every host name


@dataclass(frozen=True)
class Issued:
    ca: Path  # what clients trust
    cert: Path  # for `shim serve --ssl-certfile`
    key: Path  # for `shim serve --ssl-keyfile`
    ca_news: str  # what became of the CA: made, kept, or replaced and why
    until: datetime.datetime  # when the certificate ends


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def issue(folder: Path, names: Sequence[str]) -> Issued:
    """Write (or keep) the CA in `folder` and a server certificate for `names` signed by it."""
    if not names:
        raise ConfigError("name at least one host name or address, e.g. --names api.twitter.com")
    alternatives = list(dict.fromkeys(_alternative(name) for name in names))
    if folder.exists() and not folder.is_dir():
        raise ConfigError(
            f"{folder} is a file, not a folder for the certificates: move it, or name another "
            "folder (shim certs --out; --dev-tls uses ./certs)"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot make the folder {folder} ({error.strerror})") from None
    ca_file, ca_key_file = folder / "ca.pem", folder / "ca-key.pem"
    kept = _load_ca(ca_file, ca_key_file) if ca_file.exists() else None
    unfit = _unfit(kept[0], alternatives) if kept else None
    if kept is None or unfit:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = _ca(ca_key, alternatives)
        _write(ca_key_file, _private(ca_key), secret=True)
        _write(ca_file, ca.public_bytes(serialization.Encoding.PEM))
        news = "made" if kept is None else f"replaced, as {unfit}: trust the new one and remove "
        news += "" if kept is None else "the old one from where you trusted it"
    else:
        (ca, ca_key), news = kept, "kept (already trusted where you trusted it)"
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _server(key, ca, ca_key, alternatives)
    issued = Issued(
        ca_file, folder / "server.pem", folder / "server-key.pem", news, cert.not_valid_after_utc
    )
    _write(issued.key, _private(key), secret=True)
    _write(issued.cert, cert.public_bytes(serialization.Encoding.PEM))
    return issued


def check_pair(cert_file: str, key_file: str) -> None:
    """Refuse, in one line, TLS files that are missing, swapped or not a pair, before the
    server listens (uvicorn would stop with a traceback)."""
    for option, path in (("--ssl-certfile", cert_file), ("--ssl-keyfile", key_file)):
        if os.path.isdir(path):
            raise ConfigError(f"{option} {path} is a folder: name the PEM file in it")
        if not os.path.isfile(path):
            raise ConfigError(f"{option}: no such file: {path}")
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


def _unfit(ca: x509.Certificate, alternatives: list[x509.GeneralName]) -> str | None:
    """Why a kept CA will not do for these names, or None when it will."""
    try:
        constraints = ca.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return "it had no name constraints (it could vouch for any site)"
    missing = [str(name.value) for name in alternatives if not _permits(constraints, name)]
    if missing:
        return f"it does not permit {', '.join(missing)}"
    if ca.not_valid_after_utc - now() < datetime.timedelta(days=RENEW_DAYS):
        return f"it ends on {ca.not_valid_after_utc:%Y-%m-%d}"
    return None


def _permits(constraints: x509.NameConstraints, name: x509.GeneralName) -> bool:
    for allowed in constraints.permitted_subtrees or ():
        if isinstance(name, x509.DNSName) and isinstance(allowed, x509.DNSName):
            host = name.value.removeprefix("*.")
            if host == allowed.value or host.endswith("." + allowed.value):
                return True
        if (
            isinstance(name, x509.IPAddress)
            and isinstance(allowed, x509.IPAddress)
            and isinstance(allowed.value, ipaddress.IPv4Network | ipaddress.IPv6Network)
            and name.value in allowed.value
        ):
            return True
    return False


def _constraints(alternatives: list[x509.GeneralName]) -> x509.NameConstraints:
    """Exactly these names: each permitted, any kind of name not asked for excluded whole."""
    hosts: list[x509.GeneralName] = [
        x509.DNSName(n.value.removeprefix("*."))
        for n in alternatives
        if isinstance(n, x509.DNSName)
    ]
    addresses: list[x509.GeneralName] = [
        x509.IPAddress(ipaddress.ip_network(n.value))
        for n in alternatives
        if isinstance(n, x509.IPAddress)
    ]
    excluded = ([] if addresses else list(EVERY_IP)) + ([] if hosts else [EVERY_HOST])
    return x509.NameConstraints(list(dict.fromkeys(hosts + addresses)), excluded or None)


def _ca(key: ec.EllipticCurvePrivateKey, alternatives: list[x509.GeneralName]) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "twitter-mute-shim local CA")])
    start = now()
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - datetime.timedelta(minutes=5))
        .not_valid_after(start + datetime.timedelta(days=DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_constraints(alternatives), critical=True)
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
    alternatives: list[x509.GeneralName],
) -> x509.Certificate:
    start = now()
    ca_identifier = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    # The common name is a host name's or none: OpenSSL checks a name-like common name against
    # the host-name constraints, which exclude every host name when only addresses are asked.
    hosts = [name.value for name in alternatives if isinstance(name, x509.DNSName)]
    subject = [x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])] if hosts else []
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name(subject))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - datetime.timedelta(minutes=5))
        .not_valid_after(min(start + datetime.timedelta(days=DAYS), ca.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        # With no subject, the names are the certificate's identity: critical (RFC 5280).
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=not subject)
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
