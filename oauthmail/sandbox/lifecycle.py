"""One sandbox per state folder: its ports kept, one process at a time, brought up when needed.

A token INI made against the sandbox names its ports (``token_uri = https://127.0.0.1:PORT/token``,
``smtp_port = PORT``). So that such an INI keeps working after the kernel that started the
sandbox is gone, the next morning or after a restart:

* **ports are kept per state folder**: ``sandbox.json`` records them (``"ports"``) and the next
  start in that folder binds the same ones when they are free (a port taken by another program
  falls back to a free one, and ``sandbox.json`` says so in ``"ports_moved"``);
* **one process per state folder**: the process that serves a folder holds ``sandbox.lock`` in it
  (``flock``, released by the kernel when the process dies, so there is no stale-pid guessing);
  starting holds ``sandbox.start.lock``, so two kernels asking at once never start two;
* **detached**: :func:`start_detached` runs ``python -m oauthmail sandbox --state-dir DIR`` in a
  session of its own, so a sandbox a notebook needed outlives that notebook's kernel and serves the
  next one, and the terminal. It is stopped by :func:`stop` (``oauthmail sandbox --stop``), by
  SIGTERM, or on its own when its state folder is deleted;
* **brought up on demand**: :func:`revive_for_ini` finds the stopped sandbox whose recorded ports an
  INI account points at and starts it (``OAUTHMAIL_SANDBOX_AUTOSTART=0`` turns that off, then the
  error's hint names the one command to run).

Stdlib only and cheap to import: the send path imports this module only after a refused connection.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from ..errors import NetworkError, OAuthMailError
from ..i18n import Msg

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock, sandboxes stay in the process that starts them
    fcntl = None  # type: ignore[assignment]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import IO, Any, TypeVar

    from .server import SandboxHandle

    T = TypeVar("T")

INFO_FILE = "sandbox.json"
LOCK_FILE = "sandbox.lock"
START_LOCK_FILE = "sandbox.start.lock"
LOG_FILE = "sandbox.log"
CONFIG_FILE = "sandbox-config.json"
#: The names under ``sandbox.json``'s ``"ports"`` (and the config fields they come from).
PORT_FIELDS = {"https": "http_port", "ui": "ui_port", "smtp_starttls": "smtp_starttls_port",
               "smtp_ssl": "smtp_ssl_port"}
#: Codes of a refused or unreachable connection: nothing was sent, so trying again is safe.
DOWN_CODES = ("connection_refused", "token_unreachable", "api_unreachable")
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")

ALREADY_RUNNING = Msg(
    en="A sandbox is already running for {state_dir} (process {pid}).",
    ja="{state_dir} のサンドボックスはすでに動いています（プロセス {pid}）。",
)
ALREADY_RUNNING_HINT = Msg(
    en="Use that one (its sandbox.json says where it listens), or stop it first: "
    "oauthmail sandbox --stop --state-dir {state_dir}",
    ja="動いているものをそのまま使うか（待ち受け先は sandbox.json にあります）、先に止めてください: "
    "oauthmail sandbox --stop --state-dir {state_dir}",
)
START_FAILED = Msg(
    en="The sandbox in {state_dir} did not start: {reason}",
    ja="{state_dir} のサンドボックスが起動しませんでした: {reason}",
)
START_FAILED_HINT = Msg(
    en="Start it in a terminal to see why: oauthmail sandbox --state-dir {state_dir} (its log: {log})",
    ja="理由を見るには端末で起動してください: oauthmail sandbox --state-dir {state_dir}（ログ: {log}）",
)
SANDBOX_DOWN_HINT = Msg(
    en="This account points at the sandbox of {state_dir}, which is not running. Start it with: "
    "oauthmail sandbox --state-dir {state_dir}",
    ja="このアカウントは {state_dir} のサンドボックスを指していますが、サンドボックスが動いていません。"
    "次のコマンドで起動してください: oauthmail sandbox --state-dir {state_dir}",
)
SANDBOX_UNKNOWN_HINT = Msg(
    en="{where} is on this machine: probably the sandbox this INI was made with, and it is not running. "
    "Start it with: oauthmail sandbox --state-dir DIR (the folder whose sandbox.json lists port {port}).",
    ja="{where} はこのマシン上です。この INI を作ったサンドボックスが動いていないと思われます。"
    "次のコマンドで起動してください: oauthmail sandbox --state-dir フォルダー（sandbox.json にポート {port} "
    "があるフォルダー）",
)
PORTS_MOVED = Msg(
    en="The sandbox of {state_dir} could not get its earlier port(s) {ports} back (in use by another program) "
    "and listens elsewhere now; INIs made earlier point at the old port(s).",
    ja="{state_dir} のサンドボックスは以前のポート {ports} を取り戻せませんでした（別のプログラムが使用中）。"
    "今は別のポートで待ち受けているため、以前に作った INI は古いポートを指しています。",
)
PORTS_MOVED_HINT = Msg(
    en="Stop the program that took the port and restart the sandbox (oauthmail sandbox --stop, then start it "
    "again), or sign in again so the INI gets the new ports.",
    ja="そのポートを使っているプログラムを止めてからサンドボックスを起動し直すか（oauthmail sandbox --stop の後に"
    "もう一度起動）、サインインし直して INI に新しいポートを書き込んでください。",
)
STARTED_NOTE = Msg(
    en="The sandbox of {state_dir} was not running: started it in the background (process {pid}, same ports "
    "as before). Stop it with: oauthmail sandbox --stop --state-dir {state_dir}",
    ja="{state_dir} のサンドボックスが動いていなかったため、バックグラウンドで起動しました（プロセス {pid}、"
    "以前と同じポート）。止めるには: oauthmail sandbox --stop --state-dir {state_dir}",
)


# --- small pure helpers ----------------------------------------------------------------------------


def read_info(state_dir: str | Path) -> dict[str, Any] | None:
    """``sandbox.json`` as it is on disk (running or stopped), else None."""
    try:
        info = json.loads((Path(state_dir) / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def _port_of(url: object) -> int:
    from urllib.parse import urlsplit

    try:
        return int(urlsplit(str(url or "")).port or 0)
    except ValueError:
        return 0


def ports_of(info: dict[str, Any] | None) -> dict[str, int]:
    """The ports a ``sandbox.json`` records (``"ports"``, or read from the URLs of an older file)."""
    if not info:
        return {}
    recorded = info.get("ports")
    if isinstance(recorded, dict):
        return {k: int(v) for k, v in recorded.items() if k in PORT_FIELDS and isinstance(v, int) and v > 0}
    smtp = info.get("smtp") or {}
    found = {"https": _port_of(info.get("base_url")), "ui": _port_of(info.get("ui_url")),
             "smtp_starttls": int(smtp.get("starttls_port") or 0), "smtp_ssl": int(smtp.get("ssl_port") or 0)}
    return {k: v for k, v in found.items() if v > 0}


def recorded_ports(state_dir: str | Path) -> dict[str, int]:
    """The ports the last sandbox of this folder listened on (empty for a new folder)."""
    return ports_of(read_info(state_dir))


def bind_preferring(bind: Callable[[int], T], preferred: int, *, fixed: bool) -> tuple[T, bool]:
    """``bind(preferred)``; if that port is taken and it was not fixed by the person, a new port.

    Returns the bound object and whether the preferred port had to be given up. New ports come from
    :func:`bind_stable`.
    """
    if not preferred:
        return bind_stable(bind), False
    try:
        return bind(preferred), False
    except OSError:
        if fixed:
            raise
        return bind_stable(bind), True


def stable_port_range() -> range:
    """Where a sandbox's new ports are taken from: the 10,000 ports just below the system's range for
    outgoing connections (Linux's ``ip_local_port_range``, 32768-60999 unless changed; 49152 and up on
    Windows and macOS).

    Why: a port from that range (``bind(0)``) is also what the next kernel's, browser's or mailer's own
    connections use; one of them then sits on the stopped sandbox's recorded port, the sandbox has to
    move, and every INI made with it points at the old port. Below the range, nothing takes it by chance.
    """
    low = 49152
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as fh:
            low = int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return range(max(1024, low - 10000), low)


def bind_stable(bind: Callable[[int], T], tries: int = 20) -> T:
    """``bind(port)`` for random free ports of :func:`stable_port_range`; the system's choice after ``tries``."""
    import random

    span = stable_port_range()
    for port in random.sample(span, min(tries, len(span))):
        try:
            return bind(port)
        except OSError:
            continue
    return bind(0)


def is_loopback(host: str | None) -> bool:
    return (host or "").strip().lower() in LOOPBACK


def endpoint_urls(acc: Any) -> tuple[str, ...]:
    """The URLs an INI account talks to besides SMTP: sign-in, token endpoint, HTTPS APIs."""
    return (acc.token_uri, acc.authority, acc.auth_uri, acc.graph_url, acc.gmail_api_url)


def account_endpoints(acc: Any) -> set[int]:
    """The loopback ports an INI account talks to (token endpoint, authority, SMTP, HTTPS APIs)."""
    from urllib.parse import urlsplit

    ports: set[int] = set()
    for url in endpoint_urls(acc):
        parts = urlsplit(str(url or ""))
        if parts.hostname and is_loopback(parts.hostname):
            port = _port_of(url) or (443 if parts.scheme == "https" else 80)
            ports.add(port)
    if acc.smtp_host and is_loopback(acc.smtp_host) and acc.smtp_port:
        ports.add(int(acc.smtp_port))
    return ports


def all_endpoints_loopback(acc: Any) -> bool:
    """Whether every endpoint the account names (sign-in, token, APIs, SMTP) is on this machine."""
    from urllib.parse import urlsplit

    for url in endpoint_urls(acc):
        if url and not is_loopback(urlsplit(str(url)).hostname):
            return False
    return is_loopback(acc.smtp_host)


def sandbox_ca_for(ini: str | Path, acc: Any) -> Path | None:
    """The CA certificate of the sandbox an account was made with, when it may be trusted for it.

    Why: an INI exported from a notebook is used the next day from a terminal, where ``SSL_CERT_FILE``
    does not name the sandbox's CA; without this every command fails on "certificate not trusted".
    Only when every endpoint of the account is on loopback and on the recorded ports of one sandbox
    folder of this INI, and that folder and its ``ca.pem`` are this user's and writable by no one else
    (the CA is name-constrained to localhost/127.0.0.0/8/::1: it cannot vouch for any other site).
    """
    if not all_endpoints_loopback(acc):
        return None
    ports = account_endpoints(acc)
    if not ports:
        return None
    state = sandbox_for_ports(ports, candidate_dirs(ini))
    if state is None or not ports <= set(recorded_ports(state).values()):
        return None
    ca = state / "ca.pem"
    try:
        for item in (state, ca):
            st = item.lstat()
            if st.st_uid != os.getuid() or st.st_mode & 0o022 or (item is ca and not ca.is_file()):
                return None
    except OSError:
        return None
    return ca


def candidate_dirs(ini: str | Path | None = None) -> list[Path]:
    """Where a sandbox behind an INI may keep its state: ``OAUTHMAIL_HOME/sandbox``, then around the INI
    (``sandbox/`` beside it or one folder up, the INI's own folder, any folder beside it with a sandbox.json)."""
    from ..paths import sandbox_dir

    found: list[Path] = [sandbox_dir()]
    if ini:
        parent = Path(ini).expanduser().resolve().parent
        found += [parent / "sandbox", parent.parent / "sandbox", parent]
        found += sorted(p.parent for p in parent.glob(f"*/{INFO_FILE}"))  # a state folder beside the INI
    unique: list[Path] = []
    for d in found:
        if d not in unique and (d / INFO_FILE).exists():
            unique.append(d)
    return unique


def sandbox_for_ports(ports: Iterable[int], dirs: Iterable[Path], *,
                      account_ports: Iterable[int] = ()) -> Path | None:
    """The state folder whose recorded ports include one of ``ports`` and most of ``account_ports``.

    Why the count: an old folder beside the INI may have recorded one of the same ephemeral ports; the
    account's sandbox is the one that recorded all of them (ties: the nearer folder, ``dirs``' order).
    """
    wanted, whole = set(ports), set(account_ports) | set(ports)
    best: tuple[int, Path] | None = None
    for d in dirs:
        recorded = set(recorded_ports(d).values())
        if wanted & recorded:
            score = len(whole & recorded)
            if best is None or score > best[0]:
                best = (score, d)
    return best[1] if best else None


# --- locks ---------------------------------------------------------------------------------------------


class Hold:
    """The lifetime lock of a state folder, held by the process that serves it (pid written in it)."""

    def __init__(self, fh: IO[str]) -> None:
        self._fh: IO[str] | None = fh

    def release(self) -> None:
        fh, self._fh = self._fh, None
        if fh is not None:
            try:
                fh.seek(0)
                fh.truncate()
            except OSError:
                pass
            fh.close()  # closing drops the flock


def _open_lock(path: Path) -> IO[str]:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    return os.fdopen(fd, "r+", encoding="utf-8")


def hold(state_dir: str | Path) -> Hold:
    """Take the folder's lifetime lock, or raise :class:`NetworkError` naming the process that has it."""
    state = Path(state_dir)
    fh = _open_lock(state / LOCK_FILE)
    if fcntl is not None:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pid = holder_pid(state)
            fh.close()
            raise NetworkError(ALREADY_RUNNING, ALREADY_RUNNING_HINT, state_dir=str(state), pid=pid or "?",
                               code="sandbox_running") from None
    fh.seek(0)
    fh.truncate()
    fh.write(str(os.getpid()))
    fh.flush()
    return Hold(fh)


def holder_pid(state_dir: str | Path) -> int | None:
    """The pid written in the lifetime lock (meaningful only while :func:`is_running`)."""
    try:
        return int((Path(state_dir) / LOCK_FILE).read_text(encoding="utf-8").strip() or 0) or None
    except (OSError, ValueError):
        return None


def is_running(state_dir: str | Path) -> bool:
    """Whether a process serves this folder now (its lifetime lock is held). Microseconds, no network."""
    path = Path(state_dir) / LOCK_FILE
    if not path.exists():
        return False
    if fcntl is None:  # pragma: no cover
        info = read_info(state_dir)
        return bool(info and info.get("status") == "running")
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # also drops the shared lock taken just now
    return False


class _StartLock:
    """Held while a sandbox is being started in a folder, so two callers never start two."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / START_LOCK_FILE
        self._fh: IO[str] | None = None

    def __enter__(self) -> _StartLock:
        self._fh = _open_lock(self.path)
        if fcntl is not None:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def start_lock(state_dir: str | Path) -> _StartLock:
    return _StartLock(Path(state_dir))


# --- the detached process --------------------------------------------------------------------------


def detach_supported() -> bool:
    return fcntl is not None and hasattr(os, "setsid")


def _write_config(state: Path, config: Any) -> Path | None:
    """A config object for the detached process, as the JSON ``--config`` reads (0600)."""
    if config is None:
        return None
    if isinstance(config, (str, Path)):
        return Path(config).expanduser().resolve()
    from dataclasses import asdict

    data = asdict(config) if not isinstance(config, dict) else dict(config)
    path = state / CONFIG_FILE
    from ..tokenfile import atomic_write  # it may hold client secrets: mkstemp, never a followed link

    atomic_write(path, json.dumps(data))
    return path


def _log_tail(log: Path) -> str:
    try:
        lines = [line.strip() for line in log.read_text(encoding="utf-8", errors="replace").splitlines()]
    except OSError:
        return ""
    useful = [line for line in lines if line.startswith("error:")] or [line for line in lines if line]
    return useful[-1][:300] if useful else ""


def start_detached(state_dir: str | Path, config: Any = None, *, timeout: float = 60.0,
                   extra_args: list[str] | None = None) -> SandboxHandle:
    """The folder's sandbox, started as a process of its own if none serves it; returns its handle.

    Blocks until ``sandbox.json`` says the new process is ready and its health URL answers. The
    process outlives the caller (its own session); stop it with :func:`stop`.
    """
    import subprocess
    import threading

    from .server import SandboxHandle, load_info

    state = Path(state_dir).expanduser().resolve()
    state.mkdir(parents=True, exist_ok=True, mode=0o700)
    with start_lock(state):
        if is_running(state):
            info = _wait_ready(state, None, None, timeout)
            return SandboxHandle(info)
        cfg = _write_config(state, config)
        log = state / LOG_FILE
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        command = [sys.executable, "-m", "oauthmail", "sandbox", "--state-dir", str(state)]
        if cfg is not None:
            command += ["--config", str(cfg)]
        command += extra_args or []
        env = {k: v for k, v in os.environ.items() if k != "OAUTHMAIL_TRACEBACK"}
        env["PYTHONUNBUFFERED"] = "1"
        try:
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=fd, stderr=fd, env=env,
                                    cwd=str(state), start_new_session=True, close_fds=True)
        finally:
            os.close(fd)
        # Reap it when it ends, so a long-lived kernel keeps no zombie (liveness is the flock anyway).
        threading.Thread(target=proc.wait, name="oauthmail-sandbox-reaper", daemon=True).start()
        info = _wait_ready(state, proc, log, timeout)
        if load_info(state) is None:  # ready on disk but not answering: say so now, not at the first send
            raise NetworkError(START_FAILED, START_FAILED_HINT, state_dir=str(state), log=str(log),
                               reason="it does not answer /_sandbox/health", code="sandbox_start")
        return SandboxHandle(info)


def _wait_ready(state: Path, proc: Any, log: Path | None, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        info = read_info(state)
        if info and info.get("status") == "running" and (proc is None or info.get("pid") == proc.pid):
            return info
        if proc is not None and proc.poll() is not None:
            reason = _log_tail(log) if log else ""
            raise NetworkError(START_FAILED, START_FAILED_HINT, state_dir=str(state), log=str(log),
                               reason=reason or f"exit status {proc.returncode}", code="sandbox_start")
        if time.monotonic() > deadline:
            raise NetworkError(START_FAILED, START_FAILED_HINT, state_dir=str(state), log=str(log or state / LOG_FILE),
                               reason=f"not ready after {timeout:g} s", code="sandbox_start")
        time.sleep(0.05)


def stop(state_dir: str | Path, *, timeout: float = 20.0) -> bool:
    """Stop the process serving this folder (SIGTERM, then wait for its lock). False if none was running.

    A sandbox running inside this very process (``Sandbox.start()``) is stopped directly.
    """
    import signal

    state = Path(state_dir).expanduser().resolve()
    if not is_running(state):
        return False
    pid = holder_pid(state)
    if pid == os.getpid():
        from .server import _in_process

        sb = _in_process.get(str(state))
        if sb is not None:
            sb.stop()
            return True
        return False  # a Sandbox object of the caller's own: its owner stops it
    if not pid:
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while is_running(state):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)
            break
        time.sleep(0.05)
    return True


def stop_all_under(root: str | Path) -> list[Path]:
    """Stop every sandbox process serving a folder under ``root`` (for test sessions and trainers)."""
    stopped = []
    for lock in Path(root).glob(f"**/{LOCK_FILE}"):
        if holder_pid(lock.parent) != os.getpid() and stop(lock.parent):
            stopped.append(lock.parent)
    return stopped


# --- bringing a sandbox up for an INI --------------------------------------------------------------


def autostart_enabled() -> bool:
    return os.environ.get("OAUTHMAIL_SANDBOX_AUTOSTART", "1").strip().lower() not in ("0", "false", "no", "off")


def revive_for_ini(ini: str | Path, account: str | None, error: OAuthMailError) -> str | None:
    """After ``error`` (a refused connection), start the stopped sandbox the account points at.

    Returns a note to show (the sandbox was started), or None when the account does not point at a
    sandbox on this machine (``error`` stands as it is). Raises a clearer error when it does but the
    sandbox cannot or may not be started: its hint names the command that starts it.
    """
    if error.code not in DOWN_CODES:
        return None
    from ..tokenfile import read

    try:
        acc = read(ini).account(account)
    except OAuthMailError:
        return None
    ports = account_endpoints(acc)
    everything = set(ports)
    refused = refused_port(error)
    if refused:  # only the account's own endpoints: an override (--api-url, --smtp-port) is the person's
        ports &= {refused}
    if not ports:
        return None
    state = sandbox_for_ports(ports, candidate_dirs(ini), account_ports=everything)
    if state is None:
        port = refused or sorted(ports)[0]
        raise _with_hint(error, SANDBOX_UNKNOWN_HINT, where=f"127.0.0.1:{port}", port=port)
    if is_running(state) or not autostart_enabled() or not detach_supported():
        # Running yet refusing: it moved ports (ports_moved says so) or is another program's; or not allowed.
        moved = (read_info(state) or {}).get("ports_moved")
        if is_running(state) and moved:
            raise NetworkError(PORTS_MOVED, PORTS_MOVED_HINT, state_dir=str(state),
                               ports=", ".join(str(p) for p in moved), code="sandbox_ports_moved") from error
        if is_running(state):
            return None
        raise _with_hint(error, SANDBOX_DOWN_HINT, state_dir=str(state))
    try:
        handle = start_detached(state)
    except OAuthMailError as exc:
        raise exc from error
    moved = handle.info.get("ports_moved")
    if moved and ports & {int(p) for p in moved}:
        raise NetworkError(PORTS_MOVED, PORTS_MOVED_HINT, state_dir=str(state),
                           ports=", ".join(str(p) for p in moved), code="sandbox_ports_moved") from error
    return STARTED_NOTE(state_dir=str(state), pid=handle.info.get("pid", "?"))


def refused_port(error: OAuthMailError) -> int:
    """The port a refused-connection error names (``where = host:port`` or ``url``), else 0."""
    where = str(error.params.get("where") or "")
    tail = where.rpartition(":")[2]
    if tail.isdigit() and "://" not in where:
        return int(tail)
    return _port_of(error.params.get("url") or where)


def _with_hint(error: OAuthMailError, hint: Msg, **params: Any) -> OAuthMailError:
    """The same error (text, code, details) with a hint that names the sandbox command."""
    return type(error)(error.what_msg, hint, details=error.details, code=error.code, **{**error.params, **params})


def ensure_for_ini(ini: str | Path, account: str | None = None) -> str | None:
    """Before talking to an account's endpoints (doctor): start its stopped sandbox; the note, if any."""
    from ..tokenfile import read

    try:
        acc = read(ini).account(account)
    except OAuthMailError:
        return None
    ports = account_endpoints(acc)
    if not ports:
        return None
    state = sandbox_for_ports(ports, candidate_dirs(ini))
    if state is None or is_running(state) or not autostart_enabled() or not detach_supported():
        return None
    handle = start_detached(state)
    return STARTED_NOTE(state_dir=str(state), pid=handle.info.get("pid", "?"))
