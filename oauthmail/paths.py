"""Where the kit keeps its files (contract: ``OAUTHMAIL_HOME``).

``OAUTHMAIL_HOME`` (default: the per-user config folder, ``~/.config/oauthmail`` or
``$XDG_CONFIG_HOME/oauthmail``) holds the sandbox's state, exported INIs and setup records,
unless a command is given explicit paths. Notebooks follow it too, so a class, a test or CI
can point a whole run at a throw-away folder.
"""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """The kit's folder, created with mode 0700 if it does not exist."""
    env = os.environ.get("OAUTHMAIL_HOME")
    if env:
        path = Path(env).expanduser()
    else:
        base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        path = Path(base) / "oauthmail"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def sandbox_dir() -> Path:
    """The sandbox's default state folder (``OAUTHMAIL_HOME/sandbox``)."""
    return home() / "sandbox"


def default_ini() -> Path:
    """The token INI used when no ``--ini`` is given (``OAUTHMAIL_HOME/oauthmail.ini``)."""
    return home() / "oauthmail.ini"


def records_dir() -> Path:
    """Where setup records go by default."""
    path = home() / "records"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
