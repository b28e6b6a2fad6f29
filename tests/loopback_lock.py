"""One lock for the fixed redirect port 48888, shared by every test run on this machine.

The source documents register ``http://127.0.0.1:48888/callback`` and ``http://localhost:48888/callback``,
so the notebooks, the demo and the browser walks listen on that one port. Two pytest runs at once
(or a notebook run beside a browser walk) would fight over it; they take this lock first.
"""

from __future__ import annotations

import contextlib
import fcntl
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


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
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
