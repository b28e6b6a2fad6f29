"""Who holds a local TCP port: a program listening on it, or a connection the system lent it to.

Why: the sign-in's return port (48888) is fixed, because it is registered with the provider, and on
Linux it lies inside the range the system hands out as the local port of outgoing connections
(``net.ipv4.ip_local_port_range``, 32768-60999 by default). A program's connection to any local
service (a kernel's ZMQ socket, a database, a browser tab) can be given 127.0.0.1:48888, and while
it lasts no listener may bind that address. "Stop the other program" is then the wrong advice: the
port comes back when the connection ends, and reserving it (``net.ipv4.ip_local_reserved_ports``)
keeps the system from lending it again. Only Linux's ``/proc`` tells the two apart; elsewhere the
answer is "unknown" and the caller keeps its general message.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

PROC_NET = Path("/proc/net")
PROC_SYS_IPV4 = Path("/proc/sys/net/ipv4")

#: ``/proc/net/tcp`` state codes (include/net/tcp_states.h).
LISTEN = "0A"


@dataclass(frozen=True)
class Holder:
    """One socket bound to the port: its local and remote address, TCP state, owner's uid and socket inode."""

    local: str
    remote: str
    state: str
    uid: int
    inode: int = 0

    @property
    def listening(self) -> bool:
        return self.state == LISTEN


def _address(hex_addr: str) -> str:
    """``0100007F`` → ``127.0.0.1``; the 32-digit IPv6 form (four little-endian words) → ``::1``."""
    raw = bytes.fromhex(hex_addr)
    # /proc prints each 32-bit word in the host's order; that is little-endian on every machine this runs on.
    swapped = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    addr = ipaddress.ip_address(swapped)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)


def parse_proc_net_tcp(text: str) -> list[tuple[str, int, str, int, str, int, int]]:
    """Rows of ``/proc/net/tcp`` or ``tcp6``: (local address, local port, remote address, remote port, state, uid,
    inode)."""
    rows = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10:
            continue
        try:
            local, lport = fields[1].rsplit(":", 1)
            remote, rport = fields[2].rsplit(":", 1)
            rows.append((_address(local), int(lport, 16), _address(remote), int(rport, 16), fields[3].upper(),
                         int(fields[7]), int(fields[9])))
        except ValueError:
            continue
    return rows


def holders(port: int, host: str = "127.0.0.1", proc_net: Path = PROC_NET) -> list[Holder] | None:
    """The sockets that keep ``host:port`` from being bound, or ``None`` where this cannot be read (not Linux).

    A socket on the wildcard address (0.0.0.0 or ::) holds every address. TIME_WAIT is kept: after a
    connection that had the port ends from this side, the port stays held for a minute unless the
    connection's program had set SO_REUSEADDR (the kit's own listener does), which ``/proc`` does not show.
    """
    found: list[Holder] = []
    readable = False
    wildcards = {"0.0.0.0", "::"}
    for name in ("tcp", "tcp6"):
        try:
            text = (proc_net / name).read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        readable = True
        for local, lport, remote, rport, state, uid, inode in parse_proc_net_tcp(text):
            if lport == port and (local == host or local in wildcards):
                found.append(Holder(f"{local}:{lport}", f"{remote}:{rport}", state, uid, inode))
    return found if readable else None


def lent_range(proc_sys: Path = PROC_SYS_IPV4) -> tuple[int, int] | None:
    """The range of local ports the system lends to outgoing connections (``ip_local_port_range``)."""
    try:
        low, high = (proc_sys / "ip_local_port_range").read_text().split()[:2]
        return int(low), int(high)
    except (OSError, ValueError):
        return None


def held_by_connection(port: int, host: str = "127.0.0.1", proc_net: Path = PROC_NET) -> bool:
    """True when sockets hold the port and none of them listens: the system lent it to a connection (one that
    may have just ended: TIME_WAIT)."""
    found = holders(port, host, proc_net)
    return bool(found) and not any(h.listening for h in found or ())
