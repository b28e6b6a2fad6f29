"""What every exported configuration is made from: the account's server settings and the token command.

Pure helpers only. Nothing here reads a secret into the output: an :class:`ExportContext` holds the
account's address, server, security and SASL mechanism, the CA file the tool should trust, and the
``oauthmail token`` command line the tool runs to get a fresh access token.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import tokenfile
from ..mailer import smtp_settings

#: The relay's default address (``oauthmail relay``), for tools that cannot speak OAuth2.
RELAY_HOST = "127.0.0.1"
RELAY_PORT = 1587


@dataclass(frozen=True)
class ExportContext:
    """One account of one INI, as an exported configuration needs it (no secret in here)."""

    ini: str
    account: str
    provider: str
    host: str
    port: int
    security: str  # "starttls" | "ssl"
    mechanism: str  # "XOAUTH2" | "OAUTHBEARER"
    token_argv: tuple[str, ...]
    ca_file: str = ""
    lang: str = "en"
    transport: str = "smtp"
    relay_host: str = RELAY_HOST
    relay_port: int = RELAY_PORT
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def token_command(self) -> str:
        """The token command as one POSIX shell line (each word quoted where needed)."""
        return " ".join(shlex.quote(a) for a in self.token_argv)


@dataclass(frozen=True)
class ExportFile:
    """One file an export writes: a name suggestion, its text, its mode, and what it is for."""

    name: str
    text: str
    mode: int = 0o600
    role: str = "config"  # "config" | "script" | "template"


@dataclass(frozen=True)
class Export:
    """What ``oauthmail export --for TOOL`` produces: files and the steps to use them."""

    tool: str
    files: tuple[ExportFile, ...]
    #: How to use it, in the chosen language (shown after writing, and as the notebook's help).
    usage: str
    #: The command the notebook's "test it" button runs (``{file}`` is the first file's path).
    test_argv: tuple[str, ...] = ()
    #: The program that must be installed for the test button.
    program: str = ""


def kit_command() -> list[str]:
    """How to run this kit from another program: ``oauthmail`` on PATH, else this Python with ``-m``."""
    found = shutil.which("oauthmail")
    if found:
        return [str(Path(found).resolve())]
    return [sys.executable, "-m", "oauthmail"]


def token_argv(ini: str, account: str, kit: list[str] | None = None, *extra: str) -> tuple[str, ...]:
    """``oauthmail token --ini ABS --account ADDR`` (the only way an export gets a token)."""
    return (*(kit or kit_command()), "token", "--ini", ini, "--account", account, *extra)


def default_ca_file() -> str:
    """The CA bundle tools should trust: ``SSL_CERT_FILE`` when set (the sandbox sets it), else none (system)."""
    value = os.environ.get("SSL_CERT_FILE") or ""
    return value if value and Path(value).is_file() else ""


def sandbox_ca_file(ini: str, acc: Any) -> str:
    """The sandbox's own CA for an account made with it (so the mailer trusts it in a new terminal too), else ``""``.

    Only where the kit's commands trust it themselves (:func:`oauthmail.sandbox.lifecycle.sandbox_ca_for`:
    every endpoint on loopback, on that sandbox's recorded ports, its files private).
    """
    try:
        from ..sandbox.lifecycle import sandbox_ca_for
    except ImportError:  # a kit installed without its sandbox
        return ""
    ca = sandbox_ca_for(ini, acc)
    return str(ca) if ca else ""


def context_for(ini: str | Path, account: str | None = None, *, lang: str = "en", ca_file: str | None = None,
                kit: list[str] | None = None, relay: tuple[str, int] | None = None) -> ExportContext:
    """The :class:`ExportContext` of an INI's account (overrides → INI → provider defaults, as a send)."""
    path = str(Path(ini).expanduser().resolve())
    acc = tokenfile.read(path).account(account)
    s = smtp_settings(acc)
    rhost, rport = relay or (RELAY_HOST, RELAY_PORT)
    return ExportContext(
        ini=path, account=acc.email, provider=acc.provider, host=s.host, port=s.port,
        security=s.security, mechanism=s.mechanism, token_argv=token_argv(path, acc.email, kit),
        ca_file=(sandbox_ca_file(path, acc) or default_ca_file()) if ca_file is None else ca_file, lang=lang,
        transport=(acc.transport or "smtp").lower(), relay_host=rhost, relay_port=rport,
    )


def quote_double(value: str) -> str:
    """``"value"`` for configuration files that take C-like double-quoted strings (msmtp, mutt, git)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
