"""Issue 12, items 1, 6 and 7 on the sandbox side: PKCE required, secret files, the sandbox on a shared host."""

from __future__ import annotations

import json
import os
import socket
import ssl
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
import requests

from oauthmail.errors import ConfigError
from oauthmail.sandbox import Sandbox, SandboxConfig

# --- item 1: the sandbox can require PKCE (and the tests run it so) -----------------------------------------


def test_pkce_required_refuses_a_request_without_a_challenge(sandbox: Any) -> None:
    assert sandbox.config.pkce == "required"
    client_id = json.loads(sandbox.client_secrets_web.read_text())["web"]["client_id"]
    base = (f"{sandbox.google_auth_uri}?client_id={client_id}&redirect_uri={sandbox.google_web_redirect_uri}"
            "&response_type=code&scope=https://mail.google.com/")
    r = requests.get(base, timeout=5)
    assert r.status_code == 400 and "code_challenge" in r.text
    r = requests.get(base + "&code_challenge=abc&code_challenge_method=plain", timeout=5)
    assert r.status_code == 400 and "S256" in r.text
    r = requests.get(base + "&code_challenge=" + "a" * 43 + "&code_challenge_method=S256", timeout=5)
    assert r.status_code == 200
    ms = (f"{sandbox.microsoft_authority}/oauth2/v2.0/authorize?client_id={sandbox.microsoft_web_client_id}"
          f"&redirect_uri={sandbox.microsoft_web_redirect_uri}&response_type=code&scope=offline_access"
          "%20https://outlook.office.com/SMTP.Send")
    r = requests.get(ms, timeout=5, allow_redirects=False)
    assert r.status_code == 302 and "AADSTS9002325" in r.headers["Location"]
    with pytest.raises(ConfigError):
        SandboxConfig.from_dict({"pkce": "sometimes"})


# --- item 6: secret-bearing files through mkstemp, never a fixed temp name ---------------------------------


def test_secret_files_never_follow_a_planted_link(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    planted = {}
    for name in ("ca-key.pem.tmp", "server-key.pem.tmp", f".sandbox.json.{os.getpid()}.tmp",
                 f".clients.json.{os.getpid()}.tmp", f".client_secret_web.json.{os.getpid()}.tmp"):
        target = tmp_path / f"stolen-{name.strip('.')}"
        os.symlink(target, state / name)
        planted[name] = target
    with Sandbox(state) as sb:
        info = json.loads((state / "sandbox.json").read_text())
        assert info["admin_token"] == sb.info["admin_token"]
    for name, target in planted.items():
        assert not target.exists(), f"a secret went through the link {name}"
    for name in ("ca-key.pem", "server-key.pem", "sandbox.json", "clients.json", "client_secret_web.json"):
        assert stat.S_IMODE((state / name).stat().st_mode) == 0o600, name


# --- item 7: the sandbox on a shared host ------------------------------------------------------------------


def test_host_is_loopback_unless_explicitly_allowed() -> None:
    for host in ("0.0.0.0", "192.0.2.10", "::", "sandbox.example"):
        with pytest.raises(ConfigError) as info:
            SandboxConfig.from_dict({"host": host})
        assert "allow_remote" in info.value.what("en")
    assert SandboxConfig.from_dict({"host": "0.0.0.0", "allow_remote": True}).host == "0.0.0.0"
    assert SandboxConfig.load({"host": "0.0.0.0"}, allow_remote=True).allow_remote
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert SandboxConfig.from_dict({"host": host}).host == host


def test_mailbox_and_device_pages_need_the_page_token(sandbox: Any) -> None:
    token = sandbox.page_token
    assert token and len(token) >= 24 and json.loads((sandbox.state_dir / "sandbox.json").read_text())["page_token"]
    base, ui = sandbox.base_url, sandbox.info["ui_url"]
    for root in (base, ui):
        for path in ("/mailbox", "/mailbox/1", "/devicelogin", "/"):
            for suffix in ("", "?t=wrong", f"?t={token[:-1]}"):
                r = requests.get(root + path + suffix, timeout=5)
                assert r.status_code == 403 and "sandbox-error" in r.text, (root, path, suffix)
        assert requests.post(root + "/devicelogin", data={"otc": "ABCDEFGHI"}, timeout=5).status_code == 403
        assert requests.post(root + "/deviceconsent", data={"req": "x"}, timeout=5).status_code == 403
    ok = requests.get(sandbox.mailbox_url, timeout=5)
    assert ok.status_code == 200 and "oauthmail_sandbox_page=" in ok.headers.get("Set-Cookie", "")
    assert "HttpOnly" in ok.headers["Set-Cookie"] and "SameSite=Strict" in ok.headers["Set-Cookie"]
    session = requests.Session()  # a browser: the link once, then the cookie
    assert session.get(sandbox.mailbox_url, timeout=5).status_code == 200
    assert session.get(base + "/mailbox", timeout=5).status_code == 200
    assert requests.get(base + "/mailbox", headers={"X-Sandbox-Page-Token": token}, timeout=5).status_code == 200
    assert requests.get(sandbox.microsoft_device_verification_uri, timeout=5).status_code == 200
    # The sign-in endpoints themselves stay as public as the real ones.
    assert requests.get(base + "/_sandbox/health", timeout=5).status_code == 200


def test_the_device_link_the_kit_shows_carries_the_token(sandbox: Any) -> None:
    from oauthmail.consent import microsoft_client, start_device_code

    cfg = microsoft_client(sandbox.microsoft_public_client_id, authority=sandbox.microsoft_authority)
    flow = start_device_code(cfg)
    assert f"t={sandbox.page_token}" in flow["verification_uri"]
    assert flow["verification_uri"] in flow["message"]
    assert requests.get(flow["verification_uri"], timeout=5).status_code == 200
    assert flow["device_flow"]["verification_uri"].endswith("/devicelogin")  # what the endpoint said, unchanged


def test_host_header_must_name_this_machine(sandbox: Any) -> None:
    port = int(sandbox.base_url.rsplit(":", 1)[1])
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1.evil.example:{port}", "127.0.0.1:1"):
        r = requests.get(sandbox.mailbox_url, headers={"Host": host}, timeout=5)
        assert r.status_code == 421, host
        r = requests.get(sandbox.google_auth_uri, headers={"Host": host}, timeout=5)
        assert r.status_code == 421, host
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "localhost"):
        assert requests.get(sandbox.mailbox_url, headers={"Host": host}, timeout=5).status_code == 200, host
    # Behind jupyter-server-proxy the page listener may see the hub's name: the token is asked instead.
    ui = sandbox.info["ui_url"]
    assert requests.get(ui + "/o/oauth2/auth", headers={"Host": "hub.example.org"}, timeout=5).status_code == 421
    r = requests.get(sandbox.page_url("/mailbox", ui=True), headers={"Host": "hub.example.org"}, timeout=5)
    assert r.status_code == 200


def test_the_ca_is_name_constrained_to_the_sandbox(sandbox: Any) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    ca = x509.load_pem_x509_certificate(sandbox.ca_file.read_bytes())
    nc = ca.extensions.get_extension_for_class(x509.NameConstraints)
    assert nc.critical
    assert {str(getattr(n, "value", n)) for n in nc.value.permitted_subtrees} == {"localhost", "127.0.0.0/8", "::1/128"}
    # Whoever holds ca-key.pem still cannot make a trusted ca.pem vouch for accounts.google.com.
    ca_key = serialization.load_pem_private_key((sandbox.state_dir / "ca-key.pem").read_bytes(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    forged = (x509.CertificateBuilder().subject_name(x509.Name([]))
              .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(ca.not_valid_before_utc).not_valid_after(ca.not_valid_after_utc)
              .add_extension(x509.SubjectAlternativeName([x509.DNSName("accounts.google.com")]), critical=False)
              .sign(ca_key, hashes.SHA256()))  # type: ignore[arg-type]
    pem = sandbox.state_dir.parent / "forged.pem"
    pem.write_bytes(forged.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(str(pem))
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            server_ctx.wrap_socket(conn, server_side=True).close()
        except (ssl.SSLError, OSError):
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client_ctx = ssl.create_default_context(cafile=str(sandbox.ca_file))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, pytest.raises(ssl.SSLCertVerificationError):
        client_ctx.wrap_socket(raw, server_hostname="accounts.google.com")
    thread.join(5)
    listener.close()


def test_an_old_unconstrained_ca_is_replaced(tmp_path: Path) -> None:
    from cryptography import x509

    from oauthmail.sandbox.certs import cert_paths, ensure_certificates

    paths = ensure_certificates(tmp_path)
    first = paths.ca_cert.read_bytes()
    assert ensure_certificates(tmp_path).ca_cert.read_bytes() == first  # reused while good
    assert x509.load_pem_x509_certificate(first).extensions.get_extension_for_class(x509.NameConstraints)
    assert ensure_certificates(tmp_path, ("sandbox.lan",)).ca_cert.read_bytes() != first  # another name set
    assert cert_paths(tmp_path).ca_key.stat().st_mode & 0o077 == 0


def test_summary_no_longer_says_trust_it(sandbox: Any) -> None:
    from oauthmail.commands.sandbox import summary

    text = summary(sandbox, "en") + summary(sandbox, "ja")
    assert "trust it" not in text and "name-constrained" in text and "名前制約" in text
    assert sandbox.page_token in summary(sandbox, "en")  # the mailbox link the person clicks carries it
