"""The sandbox's own certificate authority and a server certificate for 127.0.0.1 / localhost.

Made once per state folder and reused, so a person who trusted ``ca.pem`` once (or exported
``SSL_CERT_FILE``) keeps that trust across restarts. EC P-256 keys: fast to make, accepted by
OpenSSL, requests and smtplib.

The CA is name-constrained (critical ``NameConstraints``) to the sandbox's own names: ``localhost``,
127.0.0.0/8 and ::1 (plus the configured host when the sandbox listens elsewhere). Whoever gets
``ca-key.pem`` cannot use a trusted ``ca.pem`` to impersonate accounts.google.com or any other site;
a CA made before the constraint existed is replaced.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from cryptography import x509

CA_NAME = "oauthmail sandbox CA"
_VALID_DAYS = 825
_RENEW_BEFORE_DAYS = 30


@dataclass(frozen=True)
class CertPaths:
    """Where the PEM files live in the state folder."""

    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path


def cert_paths(state_dir: Path) -> CertPaths:
    return CertPaths(state_dir / "ca.pem", state_dir / "ca-key.pem",
                     state_dir / "server.pem", state_dir / "server-key.pem")


def _write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """PEM text through a fresh ``mkstemp`` file and ``os.replace`` (no fixed temp name, no symlink followed)."""
    from ..tokenfile import atomic_write

    atomic_write(path, data.decode("ascii"), mode)


LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def _general_names(names: tuple[str, ...]) -> tuple[list[x509.GeneralName], list[x509.GeneralName]]:
    """(subject alternative names, permitted subtrees) for ``names`` (host names or IP addresses)."""
    from cryptography import x509

    san: list[x509.GeneralName] = []
    permitted: list[x509.GeneralName] = []
    for name in dict.fromkeys(n.strip("[]").lower() for n in names if n):
        try:
            ip = ipaddress.ip_address(name)
        except ValueError:
            san.append(x509.DNSName(name))
            permitted.append(x509.DNSName(name))
            continue
        if ip.is_unspecified:  # 0.0.0.0 / :: is a bind address, not a name anyone connects to
            continue
        san.append(x509.IPAddress(ip))
        net = ipaddress.ip_network("127.0.0.0/8") if ip.version == 4 and ip.is_loopback else ipaddress.ip_network(ip)
        permitted.append(x509.IPAddress(net))
    return san, list(dict.fromkeys(permitted))


def _still_good(paths: CertPaths, names: tuple[str, ...] = LOOPBACK_NAMES) -> bool:
    """True when all four files exist, parse, chain together, stay valid for a while, the CA is
    name-constrained to exactly the sandbox's names and the server certificate covers them."""
    from cryptography import x509

    if not all(p.exists() for p in (paths.ca_cert, paths.ca_key, paths.server_cert, paths.server_key)):
        return False
    try:
        ca = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
        server = x509.load_pem_x509_certificate(paths.server_cert.read_bytes())
    except ValueError:
        return False
    limit = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(days=_RENEW_BEFORE_DAYS)
    if ca.not_valid_after_utc < limit or server.not_valid_after_utc < limit:
        return False
    san, permitted = _general_names(names)
    try:
        constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)
        covered = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    if not constraints.critical or set(constraints.value.permitted_subtrees or ()) != set(permitted):
        return False
    return server.issuer == ca.subject and set(covered) == set(san)


def ensure_certificates(state_dir: Path, extra_names: tuple[str, ...] = ()) -> CertPaths:
    """Reuse the CA and server certificate in ``state_dir``, or make new ones.

    ``extra_names``: host names or addresses besides loopback the sandbox is reached by (``allow_remote``).
    """
    paths = cert_paths(state_dir)
    names = LOOPBACK_NAMES + tuple(extra_names)
    if _still_good(paths, names):
        return paths
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    san, permitted = _general_names(names)
    now = _dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(minutes=5)
    until = now + _dt.timedelta(days=_VALID_DAYS)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "oauthmail sandbox")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(until)
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    pkcs8 = serialization.PrivateFormat.PKCS8
    none = serialization.NoEncryption()
    _write(paths.ca_key, ca_key.private_bytes(pem, pkcs8, none))
    _write(paths.server_key, server_key.private_bytes(pem, pkcs8, none))
    _write(paths.server_cert, server_cert.public_bytes(pem), 0o644)
    _write(paths.ca_cert, ca_cert.public_bytes(pem), 0o644)
    return paths


def server_context(paths: CertPaths) -> ssl.SSLContext:
    """An ``ssl.SSLContext`` for the sandbox's HTTPS and SMTP listeners."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(paths.server_cert), str(paths.server_key))
    return ctx


def client_context(ca_file: str | Path) -> ssl.SSLContext:
    """An ``ssl.SSLContext`` that trusts only the sandbox CA (for the simulated user)."""
    return ssl.create_default_context(cafile=str(ca_file))
