"""One module per ``oauthmail`` sub-command; see :mod:`oauthmail.cli`."""

from __future__ import annotations

import os

from ..i18n import pick

TYPE_CHECKING = False  # no ``typing`` import at run time (start-up time of the commands)
if TYPE_CHECKING:
    import argparse
    from pathlib import Path


def add_ini_option(p: argparse.ArgumentParser) -> None:
    """``--ini`` as most commands take it (the help in both languages, written once)."""
    p.add_argument("--ini", help=pick("token INI (default: OAUTHMAIL_HOME/oauthmail.ini)",
                                      "トークン INI（既定: OAUTHMAIL_HOME/oauthmail.ini）"))


def add_account_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--account", help=pick("which account of the INI (default: its default account)",
                                          "INI の中のどのアカウントを使うか（既定: INI の既定のアカウント）"))


def add_json_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help=pick("machine-readable output", "結果を JSON で出力する"))


def add_lang_option(p: argparse.ArgumentParser, dest: str = "cmd_lang") -> None:
    p.add_argument("--lang", dest=dest, choices=("en", "ja"), help=pick("language of the output", "出力の言語"))


def trust_the_sandbox(ini: str | Path, account: str | None) -> bool:
    """After "certificate not trusted" in a command's own process: trust the sandbox's CA when the
    account was made with it (:func:`oauthmail.sandbox.lifecycle.sandbox_ca_for`); True if the caller
    should try once more (nothing was sent: the handshake failed before any login).

    Every endpoint of such an account is that sandbox's, so the CA replaces whatever ``SSL_CERT_FILE``
    named (often the system bundle) for this process only. Only commands do this, on the error path
    (a send to a real server never looks), and not with ``--smtp-host`` / ``--api-url``; a library
    user's process keeps its own trust (``oauthmail.sandbox.start()`` sets it there).
    """
    from .. import tokenfile
    from ..errors import OAuthMailError
    from ..sandbox.lifecycle import sandbox_ca_for

    try:
        ca = sandbox_ca_for(ini, tokenfile.read(ini).account(account))
    except OAuthMailError:
        return False
    if ca is None or os.environ.get("SSL_CERT_FILE") == str(ca) == os.environ.get("REQUESTS_CA_BUNDLE"):
        return False
    os.environ["SSL_CERT_FILE"] = os.environ["REQUESTS_CA_BUNDLE"] = str(ca)
    return True
