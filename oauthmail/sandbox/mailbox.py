"""The sandbox mailbox: one ``.eml`` file per delivered message in ``mailbox_dir``.

Files are named ``<ns-timestamp>-<seq>.eml`` so name order is delivery order, written to a
temporary name and renamed (a reader never sees half a message).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

_seq = itertools.count(1)
_seq_lock = threading.Lock()


def deliver(mailbox_dir: Path, data: bytes) -> Path:
    """Save one message atomically; returns its path."""
    mailbox_dir.mkdir(parents=True, exist_ok=True)
    with _seq_lock:
        name = f"{time.time_ns():020d}-{next(_seq):06d}"
    final = mailbox_dir / f"{name}.eml"
    tmp = mailbox_dir / f".{name}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    return final


def parse_message(path: Path) -> EmailMessage:
    with path.open("rb") as fh:
        msg = BytesParser(policy=policy.default).parse(fh)
    assert isinstance(msg, EmailMessage)
    return msg


class Mailbox:
    """Read the delivered messages (oldest first) from Python, the CLI or the mailbox page."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def paths(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.iterdir() if p.suffix == ".eml" and not p.name.startswith("."))

    def messages(self) -> list[EmailMessage]:
        return [parse_message(p) for p in self.paths()]

    def __len__(self) -> int:
        return len(self.paths())

    def get(self, n: int) -> EmailMessage | None:
        """Message number ``n`` (1 = oldest), as the CLI and the page number them."""
        paths = self.paths()
        if 1 <= n <= len(paths):
            return parse_message(paths[n - 1])
        return None

    def last(self) -> EmailMessage | None:
        paths = self.paths()
        return parse_message(paths[-1]) if paths else None

    def clear(self) -> int:
        """Delete every delivered message; returns how many."""
        count = 0
        for p in self.paths():
            p.unlink(missing_ok=True)
            count += 1
        return count

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        """Wait until at least ``count`` messages are there (delivery is asynchronous to the client)."""
        deadline = time.monotonic() + timeout
        while len(self) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages()
