"""What an error text from a provider, a mail server or the network means, and what to do.

One catalog serves everything: ``oauthmail explain "TEXT"``, the ``hint:`` line of the command,
the library's exceptions (:func:`error_for`) and the notebooks. Each :class:`Entry` recognises
real wordings of one error (regular expressions over the text as the providers send it) and
says, in English and Japanese, what happened, the likely causes, what to do and where in the
console.

Usage::

    entry = explain("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled")
    entry.fix.format("ja", user="alice@example.com")
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import OAuthMailError
from .i18n import Msg


@dataclass(frozen=True)
class Entry:
    """One known error."""

    #: Stable id, e.g. ``"smtp-535-5.7.139"``, ``"oauth-invalid_grant"``, ``"aadsts-50011"``.
    id: str
    #: Regular expressions (searched case-insensitively) that recognise the error's real wordings.
    patterns: tuple[str, ...]
    title: Msg
    what: Msg
    fix: Msg
    causes: tuple[Msg, ...] = ()
    #: Where in a console or admin centre the fix is made (may be empty).
    where: Msg | None = None
    #: Error class the library raises for it.
    kind: type[OAuthMailError] = OAuthMailError
    #: A short code shown in records and ``--json`` output (``"535 5.7.139"``, ``"AADSTS50011"``).
    code: str = ""
    _compiled: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)

    def matches(self, text: str) -> bool:
        pats = self._compiled or tuple(re.compile(p, re.IGNORECASE | re.DOTALL) for p in self.patterns)
        return any(p.search(text) for p in pats)


#: The catalog, most specific entries first (the first match wins).
CATALOG: list[Entry] = []

NOT_RECOGNISED = Msg(
    en="This message is not in the kit's catalog.",
    ja="このメッセージはキットの一覧にありません。",
)
NOT_RECOGNISED_FIX = Msg(
    en="Generic checks: run `oauthmail doctor --ini FILE`; check the address, the client id and secret, the "
    "SMTP host and port, the clock, and whether a proxy or firewall sits between you and the provider.",
    ja="一般的な点検: `oauthmail doctor --ini ファイル` を実行し、メールアドレス・クライアントIDとシークレット・"
    "SMTPホストとポート・時計、そして途中にプロキシやファイアウォールがないかを確認してください。",
)


def register(*entries: Entry) -> None:
    """Add entries to the catalog (compiled once)."""
    for e in entries:
        compiled = tuple(re.compile(p, re.IGNORECASE | re.DOTALL) for p in e.patterns)
        object.__setattr__(e, "_compiled", compiled)
        CATALOG.append(e)


def explain(text: str) -> Entry | None:
    """The catalog entry that recognises ``text``, or ``None``."""
    _load()
    for entry in CATALOG:
        if entry.matches(text):
            return entry
    return None


def error_for(text: str, default: type[OAuthMailError] | None = None, **params: Any) -> OAuthMailError | None:
    """An exception for a raw error text, with the catalog's what/fix; ``None`` if not recognised.

    ``text`` must already be free of secrets: it is kept as the exception's ``details``.
    """
    entry = explain(text)
    if entry is None:
        return None
    cls = entry.kind if entry.kind is not OAuthMailError or default is None else default
    return cls(entry.what, entry.fix, code=entry.code or entry.id, details=text, **params)


_loaded = False


def _load() -> None:
    """Import the catalog's entries on first use (kept out of ``import oauthmail``)."""
    global _loaded
    if not _loaded:
        _loaded = True
        from . import _catalog  # noqa: F401  (registers entries)
