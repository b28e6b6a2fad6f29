"""A busy return port says who holds it: a listener (another sign-in) or a connection the system lent it to.

The second case failed a CI run: 127.0.0.1:48888 lies in Linux's range for outgoing connections, a long
connection of another process was given it, and the demo was told to "restart the kernel".
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from oauthmail.consent import portholder
from oauthmail.consent.loopback import PORT_BUSY, PORT_LENT, LoopbackListener
from oauthmail.errors import ConsentError
from tests.loopback_lock import LentPort

linux_only = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc/net/tcp")

PROC_TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:BEF8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0 100 0 0 10 0
   1: 0100007F:BEF8 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 112 1 0 20 4 30 10 -1
   2: 0100007F:BEF8 0100007F:1F91 06 00000000:00000000 03:00000F9E 00000000     0        0 0 3 0
   3: 00000000:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 113 1 0 100 0 0 10 0
   4: broken line
"""
PROC_TCP6 = """\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:BEF8 00000000000000000000000001000000:1F90 01 00000000:00000000 00:00000000 00000000  1001        0 114 1 0
   1: 0000000000000000FFFF00000100007F:BEF8 0000000000000000FFFF00000100007F:0050 08 00000000:00000000 00:00000000 00000000  1002        0 115 1 0
   2: 00000000000000000000000000000000:BEF9 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 116 1 0
"""


def _proc(tmp_path: Path, tcp: str = PROC_TCP, tcp6: str = PROC_TCP6) -> Path:
    (tmp_path / "tcp").write_text(tcp)
    (tmp_path / "tcp6").write_text(tcp6)
    return tmp_path


def test_proc_rows_are_decoded_for_ipv4_ipv6_and_mapped_addresses() -> None:
    rows = portholder.parse_proc_net_tcp(PROC_TCP) + portholder.parse_proc_net_tcp(PROC_TCP6)
    assert ("127.0.0.1", 48888, "0.0.0.0", 0, "0A", 1000, 111) in rows
    assert ("::1", 48888, "::1", 8080, "01", 1001, 114) in rows
    assert ("127.0.0.1", 48888, "127.0.0.1", 80, "08", 1002, 115) in rows  # ::ffff:127.0.0.1
    assert len(rows) == 7  # the broken line is skipped


def test_holders_are_the_sockets_on_that_address_and_port(tmp_path: Path) -> None:
    proc = _proc(tmp_path)
    found = portholder.holders(48888, "127.0.0.1", proc)
    assert found is not None
    assert {(h.remote, h.state) for h in found} == {("0.0.0.0:0", "0A"), ("127.0.0.1:8080", "01"),
                                                   ("127.0.0.1:8081", "06"), ("127.0.0.1:80", "08")}
    assert [h.remote for h in portholder.holders(48888, "::1", proc) or []] == ["::1:8080"]
    # a listener on the wildcard address holds every address of its family's port
    assert [h.local for h in portholder.holders(48889, "::1", proc) or []] == [":::48889"]
    assert not portholder.held_by_connection(48888, "127.0.0.1", proc)  # one of them listens
    assert portholder.held_by_connection(48888, "::1", proc)
    assert portholder.holders(48888, "127.0.0.1", tmp_path / "nothing") is None  # not Linux: unknown
    time_wait_only = PROC_TCP.splitlines()[0] + "\n" + PROC_TCP.splitlines()[3] + "\n"
    assert portholder.held_by_connection(48888, "127.0.0.1", _proc(tmp_path, time_wait_only, ""))


def test_lent_range(tmp_path: Path) -> None:
    (tmp_path / "ip_local_port_range").write_text("32768\t60999\n")
    assert portholder.lent_range(tmp_path) == (32768, 60999)
    assert portholder.lent_range(tmp_path / "nothing") is None


@linux_only
def test_a_port_lent_to_a_connection_says_so_and_how_to_reserve_it() -> None:
    with LentPort() as lent, pytest.raises(ConsentError) as info:
        LoopbackListener(f"http://127.0.0.1:{lent.port}/callback").start()
    err = info.value
    assert err.code == "port_busy" and err.what_msg is PORT_LENT
    for lang in ("en", "ja"):
        assert str(lent.port) in err.what(lang)
        assert f"net.ipv4.ip_local_reserved_ports={lent.port}" in err.hint(lang)
    assert "Restart the kernel" not in err.hint("en")


@linux_only
def test_a_port_another_listener_holds_keeps_the_sign_in_message() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    try:
        port = server.getsockname()[1]
        with pytest.raises(ConsentError) as info:
            LoopbackListener(f"http://127.0.0.1:{port}/callback").start()
    finally:
        server.close()
    assert info.value.code == "port_busy" and info.value.what_msg is PORT_BUSY


def test_the_cli_prints_the_lent_port_message_without_a_traceback(tmp_path: Path) -> None:
    """`oauthmail consent` with the port lent out: error/hint lines, exit 1, in both languages."""
    if not Path("/proc/net/tcp").exists():
        pytest.skip("reads Linux's /proc/net/tcp")
    import json
    import os
    import subprocess

    with LentPort() as lent:
        secrets_file = tmp_path / "client.json"
        secrets_file.write_text(json.dumps({"installed": {
            "client_id": "1234-abc.apps.googleusercontent.com", "client_secret": "GOCSPX-notarealsecret00000000",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": "https://oauth2.googleapis.com/token",
            "redirect_uris": ["http://localhost"]}}))
        env = dict(os.environ, OAUTHMAIL_HOME=str(tmp_path / "home"), OAUTHMAIL_LANG="ja")
        proc = subprocess.run(
            [sys.executable, "-m", "oauthmail", "consent", "google", "--client-secrets", str(secrets_file),
             "--email", "alice@example.com", "--redirect-uri", f"http://127.0.0.1:{lent.port}/callback",
             "--no-browser", "--ini", str(tmp_path / "out.ini")],
            capture_output=True, text=True, env=env, timeout=60)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Traceback" not in out, out
    assert "error:" in out and "hint:" in out and "ip_local_reserved_ports" in out, out
    assert "notarealsecret" not in out


@linux_only
def test_a_lent_port_whose_connection_just_ended_from_this_side_still_says_lent() -> None:
    """The closing side keeps the port in TIME_WAIT for a minute; without SO_REUSEADDR on it, no one may bind."""
    lent = LentPort()
    lent.end(this_side_first=True)  # this side ends it first: TIME_WAIT on the lent port
    port = lent.port
    held = portholder.holders(port) or []
    assert held and all(h.state in ("05", "06") for h in held), held  # FIN_WAIT2, then TIME_WAIT
    with pytest.raises(ConsentError) as info:
        LoopbackListener(f"http://127.0.0.1:{port}/callback").start()
    assert info.value.what_msg is PORT_LENT
