"""The sandbox's own certificate authority and a server certificate for 127.0.0.1 / localhost.

Made once per state folder and reused, so a person who trusted ``ca.pem`` once (or exported
``SSL_CERT_FILE``) keeps that trust across restarts. EC P-256 keys: fast to make, accepted by
OpenSSL, requests and smtplib.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

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


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _still_good(paths: CertPaths) -> bool:
    """True when all four files exist, parse, chain together and stay valid for a while."""
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
    return server.issuer == ca.subject


def ensure_certificates(state_dir: Path) -> CertPaths:
    """Reuse the CA and server certificate in ``state_dir``, or make new ones."""
    paths = cert_paths(state_dir)
    if _still_good(paths):
        return paths
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

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
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
        ]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    pkcs8 = serialization.PrivateFormat.PKCS8
    none = serialization.NoEncryption()
    _write_private(paths.ca_key, ca_key.private_bytes(pem, pkcs8, none))
    _write_private(paths.server_key, server_key.private_bytes(pem, pkcs8, none))
    paths.server_cert.write_bytes(server_cert.public_bytes(pem))
    paths.ca_cert.write_bytes(ca_cert.public_bytes(pem))
    return paths


def server_context(paths: CertPaths) -> ssl.SSLContext:
    """An ``ssl.SSLContext`` for the sandbox's HTTPS and SMTP listeners."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(paths.server_cert), str(paths.server_key))
    return ctx


def client_context(ca_file: str | Path) -> ssl.SSLContext:
    """An ``ssl.SSLContext`` that trusts only the sandbox CA (for the simulated user)."""
    return ssl.create_default_context(cafile=str(ca_file))
