"""One lock for the fixed redirect port 48888, shared by every test run on this machine.

The source documents register ``http://127.0.0.1:48888/callback`` and ``http://localhost:48888/callback``,
so the notebooks, the demo and the browser walks listen on that one port. Two pytest runs at once
(or a notebook run beside a browser walk) would fight over it; they take this lock first, then wait
until the port can be bound: 48888 lies in Linux's range for outgoing connections, and another
process's connection may have been given it (a CI run failed so). If it stays taken, the error names
every socket on it and its process.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from oauthmail.consent import portholder


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a listener could bind ``port`` now (SO_REUSEADDR, as the kit's listener: TIME_WAIT is fine)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            return exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT)  # no ::1 here: nothing to hold
    return True


def _pids_by_inode() -> dict[int, str]:
    """Socket inode → ``pid N: command line`` for the processes this user may look into."""
    owners: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            links = [os.readlink(fd) for fd in (entry / "fd").iterdir()]
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        for link in links:
            if link.startswith("socket:["):
                owners[int(link[8:-1])] = f"pid {entry.name}: {cmd[:160]}"
    return owners


def port_owner(port: int, hosts: tuple[str, ...] = ("127.0.0.1", "::1")) -> str:
    """Every socket that holds ``port`` (listening or a connection), with its process where it can be seen."""
    found = [h for host in hosts for h in portholder.holders(port, host) or []]
    if not found:
        return "no socket seen in /proc/net/tcp"
    owners = _pids_by_inode()
    return "; ".join(f"{h.local} -> {h.remote} state {h.state} uid {h.uid} ({owners.get(h.inode, 'process unseen')})"
                     for h in dict.fromkeys(found))


def open_connections_to(port: int) -> list[str]:
    """This process's TCP sockets whose far end is ``port`` (ESTABLISHED, CLOSE_WAIT …), from /proc."""
    mine = set()
    for fd in Path("/proc/self/fd").iterdir():
        try:
            link = os.readlink(fd)
        except OSError:
            continue
        if link.startswith("socket:["):
            mine.add(int(link[8:-1]))
    found = []
    for name in ("tcp", "tcp6"):
        text = (portholder.PROC_NET / name).read_text(encoding="ascii", errors="replace")
        for local, lport, _remote, rport, state, _uid, inode in portholder.parse_proc_net_tcp(text):
            if rport == port and inode in mine:
                found.append(f"{local}:{lport} state {state}")
    return found


def wait_port_free(port: int, timeout: float = 60.0, hosts: tuple[str, ...] = ("127.0.0.1", "::1")) -> None:
    """Wait until ``port`` can be bound on every host (a kernel's listener closes on shutdown; a connection
    the system lent the port to ends)."""
    deadline = time.monotonic() + timeout
    while not all(port_free(port, host) for host in hosts):
        if time.monotonic() > deadline:
            raise AssertionError(f"port {port} stayed taken for {timeout:.0f} s: {port_owner(port, hosts)}. The "
                                 "notebooks' sign-in needs it. Stop the other JupyterLab/kernel or test run and try "
                                 f"again, or reserve it: sysctl -w net.ipv4.ip_local_reserved_ports={port}")
        time.sleep(0.2)


@contextlib.contextmanager
def loopback_port_lock(port: int = 48888, timeout: float = 600.0) -> Iterator[None]:
    """Hold ``<tmp>/oauthmail-loopback-<port>.lock`` while a test needs the fixed redirect port."""
    path = Path(tempfile.gettempdir()) / f"oauthmail-loopback-{port}.lock"
    with open(path, "a+b") as fh:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{path} stayed locked for {timeout:.0f} s (another test run?)") from None
                time.sleep(0.2)
        try:
            wait_port_free(port, timeout=90.0)
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


class LentPort:
    """A port the system gave to a connection (nothing listens on it), as another program's connection
    to a local service holds it. ``port=0``: the system picks one from its range, as connect() does."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self.server = socket.create_server((host, 0))
        self.client = socket.socket()
        self.client.bind((host, port))
        self.port = int(self.client.getsockname()[1])
        self.client.connect(self.server.getsockname())
        self.peer, _ = self.server.accept()

    def end(self, *, this_side_first: bool = False) -> None:
        """End the connection. From the far side by default; closed from this side first, its TIME_WAIT
        holds the port for a minute (the port's owner never set SO_REUSEADDR)."""
        first, second = (self.client, self.peer) if this_side_first else (self.peer, self.client)
        first.close()
        time.sleep(0.1)
        second.close()
        self.server.close()

    def __enter__(self) -> LentPort:
        return self

    def __exit__(self, *exc: object) -> None:
        self.end()
