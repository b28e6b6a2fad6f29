"""A sandbox per state folder: ports kept, one process at a time, brought up when an INI needs it (issue 11).

The way it broke: the sandbox lived in a notebook kernel and died with it, and the INI it exported
pointed at ports nothing listened on any more. Here: the ports survive a restart; a stopped (or
killed) sandbox is brought back on the same ports by the command that needs it; two starters get
one sandbox; ``oauthmail sandbox --detach/--status/--stop`` work; a sandbox whose folder is deleted
goes away on its own.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from test_core_support import write_ini

from oauthmail.errors import NetworkError
from oauthmail.sandbox import Sandbox, SandboxHandle, ensure_running, lifecycle


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oauthmail", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def test_ports_are_kept_per_state_folder(tmp_path: Path) -> None:
    with Sandbox(tmp_path) as first:
        ports = dict(first.info["ports"])
        assert set(ports) == {"https", "ui", "smtp_starttls", "smtp_ssl"} and all(ports.values())
        assert ports["https"] == int(first.base_url.rsplit(":", 1)[1])
    assert json.loads((tmp_path / "sandbox.json").read_text())["ports"] == ports  # kept when stopped
    with Sandbox(tmp_path) as second:
        assert second.info["ports"] == ports and "ports_moved" not in second.info
        assert second.smtp_starttls_port == ports["smtp_starttls"]


def test_a_port_taken_meanwhile_moves_and_says_so(tmp_path: Path) -> None:
    with Sandbox(tmp_path) as first:
        ports = dict(first.info["ports"])
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", ports["smtp_starttls"]))
    squatter.listen()
    try:
        with Sandbox(tmp_path) as second:
            assert second.smtp_starttls_port != ports["smtp_starttls"]
            assert second.info["ports_moved"] == [ports["smtp_starttls"]]
            assert second.info["ports"]["https"] == ports["https"]  # the others are still the same
    finally:
        squatter.close()


def test_one_sandbox_per_state_folder(tmp_path: Path) -> None:
    with Sandbox(tmp_path):
        assert lifecycle.is_running(tmp_path) and lifecycle.holder_pid(tmp_path) == os.getpid()
        with pytest.raises(NetworkError) as caught:
            Sandbox(tmp_path).start()
        assert caught.value.code == "sandbox_running"
        assert f"oauthmail sandbox --stop --state-dir {tmp_path}" in caught.value.hint("en")
        assert str(os.getpid()) in caught.value.what("ja")
    assert not lifecycle.is_running(tmp_path)


def test_detached_sandbox_outlives_its_starter_and_stops(tmp_path: Path) -> None:
    state = tmp_path / "state"
    starter = subprocess.run([sys.executable, "-c", "import sys; from oauthmail.sandbox import ensure_running; "
                              "print(ensure_running(sys.argv[1]).info['pid'])", str(state)],
                             capture_output=True, text=True, timeout=90)
    assert starter.returncode == 0, starter.stderr
    pid = int(starter.stdout.strip())
    try:
        assert alive(pid) and lifecycle.is_running(state)  # the starter (a kernel) is gone; the sandbox is not
        handle = ensure_running(state)
        assert isinstance(handle, SandboxHandle) and not isinstance(handle, Sandbox)
        assert handle.info["pid"] == pid and handle.clock.now() > 0  # admin API answers
        status = run("sandbox", "--status", "--state-dir", str(state))
        assert status.returncode == 0 and str(pid) in status.stdout and handle.base_url in status.stdout
    finally:
        assert lifecycle.stop(state)
    assert wait_gone(pid) and not lifecycle.is_running(state)
    assert json.loads((state / "sandbox.json").read_text())["status"] == "stopped"
    status = run("sandbox", "--status", "--state-dir", str(state))
    assert status.returncode == 3 and f"oauthmail sandbox --state-dir {state}" in status.stdout


def test_two_starters_at_once_get_one_sandbox(tmp_path: Path) -> None:
    state = tmp_path / "state"
    code = ("import sys; from oauthmail.sandbox import ensure_running; "
            "print(ensure_running(sys.argv[1]).info['pid'])")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(state)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    try:
        outs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), outs
        pids = {int(out.strip()) for out, _ in outs}
        assert len(pids) == 1, outs
    finally:
        lifecycle.stop(state)


def test_a_killed_sandbox_comes_back_on_its_ports_for_the_command_line(tmp_path: Path) -> None:
    """As after a reboot or a killed kernel: sandbox.json still says running, nothing listens."""
    state = tmp_path / "state"
    handle = lifecycle.start_detached(state)
    ini = tmp_path / "t.ini"
    write_ini(handle, ini, cached=False)  # the send must refresh at the token endpoint too
    ports = dict(handle.info["ports"])
    pid = int(handle.info["pid"])
    os.kill(pid, signal.SIGKILL)
    assert wait_gone(pid)
    assert json.loads((state / "sandbox.json").read_text())["status"] == "running"  # stale, as after a crash
    deadline = time.monotonic() + 10  # the kernel drops a dead process's flock a moment after it exits
    while lifecycle.is_running(state) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not lifecycle.is_running(state)
    env = handle.env()
    try:
        p = run("send", "--ini", str(ini), "--to", "bob@example.com", "--subject", "after a crash", "--body", "b",
                env=env)
        assert p.returncode == 0, p.stderr
        assert "was not running: started it in the background" in p.stderr
        info = lifecycle.read_info(state) or {}
        assert info["ports"] == ports and info["pid"] != pid
        assert [m["Subject"] for m in handle.mailbox.messages()] == ["after a crash"]
        # token and doctor reach it too (it is running now: nothing to start, no note).
        p = run("token", "--ini", str(ini), env=env)
        assert p.returncode == 0 and "warning" not in p.stderr, p.stderr
    finally:
        lifecycle.stop(state)
    p = run("doctor", "--ini", str(ini), env=env)
    assert "was not running: started it in the background" in p.stderr and p.returncode == 0, p.stdout + p.stderr
    lifecycle.stop(state)
    p = run("token", "--ini", str(ini), "--force-refresh", env=env)
    assert p.returncode == 0 and "was not running" in p.stderr, p.stderr
    lifecycle.stop(state)


def test_autostart_off_names_the_command_in_the_hint(sandbox: Any) -> None:
    ini = sandbox.state_dir.parent / "t.ini"  # beside the state folder, where the kit looks
    write_ini(sandbox, ini)
    state = sandbox.state_dir
    sandbox.stop()
    for lang in ("en", "ja"):
        p = run("--lang", lang, "send", "--ini", str(ini), "--to", "bob@example.com", "--subject", "s", "--body", "b",
                env={"OAUTHMAIL_SANDBOX_AUTOSTART": "0"})
        assert p.returncode == 1 and "Traceback" not in p.stderr
        lines = p.stderr.splitlines()
        assert lines[0].startswith("error: ") and f":{sandbox.smtp_starttls_port}" in lines[0]
        assert lines[1].startswith("hint: ") and f"oauthmail sandbox --state-dir {state}" in lines[1], p.stderr
    assert not lifecycle.is_running(state)


def test_an_ini_pointing_at_no_known_sandbox_says_what_to_start(tmp_path: Path, sandbox: Any) -> None:
    ini = tmp_path / "elsewhere" / "t.ini"
    ini.parent.mkdir()
    write_ini(sandbox, ini)
    (sandbox.state_dir / "sandbox.json").unlink()  # the folder is not where the kit looks
    sandbox.stop()
    p = run("send", "--ini", str(ini), "--to", "bob@example.com", "--subject", "s", "--body", "b")
    assert p.returncode == 1
    assert "oauthmail sandbox --state-dir" in p.stderr and f"port {sandbox.smtp_starttls_port}" in p.stderr


def test_cli_detach_stop_and_a_deleted_folder(tmp_path: Path) -> None:
    state = tmp_path / "state"
    p = run("sandbox", "--detach", "--state-dir", str(state))
    assert p.returncode == 0, p.stderr
    pid = int((lifecycle.read_info(state) or {})["pid"])
    assert f"process {pid}" in p.stdout and "--stop" in p.stdout
    again = run("sandbox", "--detach", "--state-dir", str(state))  # already running: the same one
    assert again.returncode == 0 and f"process {pid}" in again.stdout
    foreground = run("sandbox", "--state-dir", str(state))
    assert foreground.returncode == 1 and "already running" in foreground.stderr and "--stop" in foreground.stderr
    p = run("sandbox", "--stop", "--state-dir", str(state))
    assert p.returncode == 0 and "Stopped" in p.stdout and wait_gone(pid)
    # A detached sandbox whose state folder is deleted (a test's, a class's) ends on its own.
    p = run("sandbox", "--detach", "--state-dir", str(state))
    pid = int((lifecycle.read_info(state) or {})["pid"])
    (state / "sandbox.json").unlink()
    assert wait_gone(pid, 15)


def _terminal_env(**extra: str) -> dict[str, str]:
    """A terminal the next day: no variable names the sandbox's CA (this machine's bundle, if any, instead)."""
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "SSL_CERT_DIR")}
    system = "/etc/ssl/certs/ca-certificates.crt"
    if os.path.exists(system):
        env["SSL_CERT_FILE"] = env["REQUESTS_CA_BUNDLE"] = system
    return {**env, **extra}


def test_an_ini_made_with_the_sandbox_works_from_a_terminal_that_does_not_trust_it(tmp_path: Path) -> None:
    """Found by trying it: `make demo` (or a notebook), then `oauthmail doctor|send|token --ini` in a new
    terminal failed with "certificate not trusted" — the CA was only trusted inside the process that
    started the sandbox. The commands now trust that sandbox's own (name-constrained) CA for its INIs."""
    state = tmp_path / "sandbox"
    handle = lifecycle.start_detached(state)
    ini = tmp_path / "t.ini"
    write_ini(handle, ini, cached=False)  # the send refreshes at the token endpoint (requests) too
    env = _terminal_env()
    cmd = [sys.executable, "-m", "oauthmail"]
    try:
        p = subprocess.run([*cmd, "send", "--ini", str(ini), "--to", "bob@example.com", "--subject", "next day",
                            "--body", "b"], capture_output=True, text=True, timeout=90, env=env)
        assert p.returncode == 0, p.stderr
        p = subprocess.run([*cmd, "token", "--ini", str(ini), "--force-refresh"], capture_output=True, text=True,
                           timeout=90, env=env)
        assert p.returncode == 0, p.stderr
        p = subprocess.run([*cmd, "doctor", "--ini", str(ini)], capture_output=True, text=True, timeout=90, env=env)
        assert p.returncode == 0, p.stdout + p.stderr
        # Another server named on the command line: the sandbox's CA is not vouched for it.
        p = subprocess.run([*cmd, "send", "--ini", str(ini), "--to", "bob@example.com", "--subject", "no",
                            "--body", "b", "--smtp-host", "localhost"], capture_output=True, text=True, timeout=90,
                           env=env)
        assert p.returncode == 1 and "error: " in p.stderr and "Traceback" not in p.stderr, p.stderr
        lifecycle.stop(state)
        p = subprocess.run([*cmd, "send", "--ini", str(ini), "--to", "bob@example.com", "--subject", "stopped",
                            "--body", "b"], capture_output=True, text=True, timeout=90, env=env)
        assert p.returncode == 0 and "was not running" in p.stderr, p.stderr
        assert [m["Subject"] for m in handle.mailbox.messages()] == ["next day", "stopped"]
    finally:
        lifecycle.stop(state)


def test_the_sandbox_ca_is_trusted_only_for_its_own_accounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from oauthmail import tokenfile

    monkeypatch.setenv("OAUTHMAIL_HOME", str(tmp_path / "home"))

    state = tmp_path / "sandbox"
    handle = lifecycle.start_detached(state)
    try:
        ini = tmp_path / "t.ini"
        write_ini(handle, ini)
        acc = tokenfile.read(ini).account()
        assert lifecycle.sandbox_ca_for(ini, acc) == state / "ca.pem"
        # one endpoint elsewhere (a real token endpoint): not a sandbox account
        assert lifecycle.sandbox_ca_for(ini, acc.replace(token_uri="https://oauth2.googleapis.com/token")) is None
        # loopback, but a port the sandbox never had
        assert lifecycle.sandbox_ca_for(ini, acc.replace(smtp_port=1)) is None
        # an INI with no sandbox around it
        other = tmp_path / "far" / "away" / "t.ini"  # not beside it, nor one folder up
        other.parent.mkdir(parents=True)
        assert lifecycle.sandbox_ca_for(other, acc) is None
        # a CA file others may write is not trusted
        os.chmod(state / "ca.pem", 0o666)
        assert lifecycle.sandbox_ca_for(ini, acc) is None
        os.chmod(state / "ca.pem", 0o644)
        assert lifecycle.sandbox_ca_for(ini, acc) == state / "ca.pem"
    finally:
        lifecycle.stop(state)


def test_an_old_folder_that_recorded_one_of_the_ports_is_not_taken_for_the_accounts(tmp_path: Path) -> None:
    """Ephemeral ports come round again: a stale folder beside the INI may have recorded the refused one.
    The account's sandbox is the folder that recorded all of its ports (a clean run once met the other)."""
    stale, mine = tmp_path / "a-old", tmp_path / "b-mine"
    for folder, ports in ((stale, {"https": 50001, "ui": 50002, "smtp_starttls": 41000, "smtp_ssl": 50004}),
                          (mine, {"https": 40001, "ui": 40002, "smtp_starttls": 41000, "smtp_ssl": 40004})):
        folder.mkdir()
        (folder / "sandbox.json").write_text(json.dumps({"ports": ports}))
    dirs = [stale, mine]
    assert lifecycle.sandbox_for_ports({41000}, dirs) == stale  # one port alone cannot tell them apart
    assert lifecycle.sandbox_for_ports({41000}, dirs, account_ports={40001, 41000, 40004}) == mine
    assert lifecycle.sandbox_for_ports({40001, 41000}, dirs) == mine
    assert lifecycle.sandbox_for_ports({12345}, dirs) is None


def test_new_ports_come_from_below_the_range_for_outgoing_connections(tmp_path: Path) -> None:
    """A kernel's or browser's own connections take ports from the system's ephemeral range; a stopped
    sandbox's recorded port there was taken by the next kernel (seen in a clean CI run), and the INIs
    pointed at nothing. New ports come from just below that range."""
    span = lifecycle.stable_port_range()
    if not os.path.exists("/proc/sys/net/ipv4/ip_local_port_range"):
        pytest.skip("no /proc/sys/net/ipv4/ip_local_port_range (not Linux)")
    with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as fh:
        low = int(fh.read().split()[0])
    assert span.stop == low and len(span) == min(10000, low - 1024)
    with Sandbox(tmp_path) as sb:
        assert all(p in span for p in sb.info["ports"].values()), sb.info["ports"]


def test_a_taken_new_port_is_skipped() -> None:
    tried: list[int] = []

    def bind(port: int) -> int:
        tried.append(port)
        if len(tried) < 3:
            raise OSError(98, "Address already in use")
        return port

    assert lifecycle.bind_stable(bind) == tried[-1] and len(tried) == 3 and tried[-1] in lifecycle.stable_port_range()

    def all_taken(port: int) -> int:
        if port:
            raise OSError(98, "Address already in use")
        return 0  # the system's choice

    assert lifecycle.bind_stable(all_taken) == 0
