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

import base64
import binascii
import json
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
    ja="一般的な確認事項: `oauthmail doctor --ini ファイル` を実行し、メールアドレス・クライアント ID とシークレット・"
    "SMTP ホストとポート・時計、そして途中にプロキシやファイアウォールがないかを確認してください。",
)


def register(*entries: Entry) -> None:
    """Add entries to the catalog (compiled once)."""
    for e in entries:
        compiled = tuple(re.compile(p, re.IGNORECASE | re.DOTALL) for p in e.patterns)
        object.__setattr__(e, "_compiled", compiled)
        CATALOG.append(e)


#: Base64 runs long enough to hold a JSON object (Gmail's 334 challenge is ~100 characters).
_B64_RUN = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")


def decode_challenges(text: str) -> list[str]:
    """JSON objects hidden in base64 inside ``text`` (Gmail's ``334 eyJzdGF0dXMiOi…`` challenge).

    Only runs that decode to a JSON object are returned, so a base64 token or XOAUTH2 string
    (which decode to something else) is never revealed by this helper.
    """
    found: list[str] = []
    for m in _B64_RUN.finditer(text):
        run = m.group(0)
        try:
            raw = base64.b64decode(run + "=" * (-len(run) % 4), validate=True)
            decoded = raw.decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        stripped = decoded.strip()
        if not stripped.startswith("{"):
            continue
        try:
            obj = json.loads(stripped)
        except ValueError:
            continue
        if isinstance(obj, dict):
            found.append(json.dumps(obj, separators=(",", ":")))
    return found


#: What people paste in other languages, and the English wording the catalog's patterns know.
#: Google and Microsoft keep the codes (``redirect_uri_mismatch``, ``AADSTS50011``) in every
#: language and translate the words around them, so the pasted text gains its English
#: equivalent (``エラー 400: redirect_uri_mismatch`` → ``Error 400: redirect_uri_mismatch``) and
#: the entries' patterns stay in one language. Sources of the wordings: tests/test_explain_localised.py.
_LOCALISED_SOURCES: tuple[tuple[str, str], ...] = (
    # Google's sign-in pages: "Error 400: redirect_uri_mismatch", "Error 403: access_denied" (ja/pt/it/fr/de/es/zh/ko).
    (r"(?:エラー|Erro|Errore|Erreur|Fehler|Error|错误|錯誤|오류)\s*(\d{3})\s*:\s*([a-z][a-z_]+)", r"Error \1: \2"),
    # Google's "Access blocked: This app's request is invalid" page title.
    (r"アクセスをブロック|Acesso bloqueado|Accesso bloccato|Accès bloqué|Acceso bloqueado|Zugriff blockiert"
     r"|访问被阻止|已封鎖存取權", "Access blocked:"),
    (r"このアプリのリクエストは無効です|a solicitação desse app é inválida|la richiesta di questa app non è valida",
     "This app's request is invalid"),
    # Google's "Authorization Error" page (承認エラー).
    (r"承認エラー|Erro de autorização|Erreur d'autorisation", "Authorization Error"),
    # An AADSTS code written with a space, a hyphen or cut off after the number: match by the number.
    (r"AADSTS[\s\-_:#]*(\d{4,7})", r"AADSTS\1"),
)
_localised: list[tuple[re.Pattern[str], str]] = []


def _localised_patterns() -> list[tuple[re.Pattern[str], str]]:
    if not _localised:
        _localised.extend((re.compile(src, re.IGNORECASE), repl) for src, repl in _LOCALISED_SOURCES)
    return _localised


def english_equivalents(text: str) -> list[str]:
    """The English wordings the catalog knows for localised parts of ``text`` (empty when none).

    Full-width letters, digits and colons that a Japanese or Chinese input method produces are
    folded to ASCII first (NFKC).
    """
    found: list[str] = []
    if not text.isascii():
        import unicodedata

        folded = unicodedata.normalize("NFKC", text)
        if folded != text:
            found.append(folded)
            text = folded
    for pattern, replacement in _localised_patterns():
        for m in pattern.finditer(text):
            english = m.expand(replacement)
            if english != m.group(0) and english not in found:
                found.append(english)
    return found


def normalise(text: str) -> str:
    """The text to match: the original, the English equivalents of localised wordings, and any
    base64 JSON challenge it contains, decoded."""
    extra = english_equivalents(text) + decode_challenges(text)
    return text if not extra else text + "\n" + "\n".join(extra)


def explain(text: str) -> Entry | None:
    """The catalog entry that recognises ``text``, or ``None``."""
    _load()
    subject = normalise(text)
    for entry in CATALOG:
        if entry.matches(subject):
            return entry
    return None


def all_matches(text: str) -> list[Entry]:
    """Every entry that recognises ``text``, in catalog order (for tests of the order)."""
    _load()
    subject = normalise(text)
    return [e for e in CATALOG if e.matches(subject)]


def find(entry_id: str) -> Entry:
    """The entry with this id (``KeyError`` if there is none)."""
    _load()
    for entry in CATALOG:
        if entry.id == entry_id:
            return entry
    raise KeyError(entry_id)


_AADSTS_CODE = re.compile(r"AADSTS(\d{4,7})")


def code_of(entry: Entry, text: str | None = None) -> str:
    """The entry's short code; for a catch-all by number (``AADSTS``) the number found in ``text``."""
    code = entry.code or entry.id
    if code == "AADSTS" and text:
        m = _AADSTS_CODE.search(normalise(text))
        if m:
            return m.group(0)
    return code


def describe(entry: Entry | None, lang: str | None = None, text: str | None = None) -> dict[str, Any]:
    """A JSON-friendly explanation in one language (``recognised: False`` for ``None``).

    With the explained ``text``, a catch-all's code is the one in the text (``AADSTS650056``).
    """
    if entry is None:
        return {
            "recognised": False,
            "id": None,
            "code": None,
            "title": NOT_RECOGNISED.format(lang),
            "what": NOT_RECOGNISED.format(lang),
            "causes": [],
            "fix": NOT_RECOGNISED_FIX.format(lang),
            "where": None,
            "kind": None,
        }
    return {
        "recognised": True,
        "id": entry.id,
        "code": code_of(entry, text),
        "title": entry.title.format(lang),
        "what": entry.what.format(lang),
        "causes": [c.format(lang) for c in entry.causes],
        "fix": entry.fix.format(lang),
        "where": entry.where.format(lang) if entry.where else None,
        "kind": entry.kind.__name__,
    }


def explain_text(text: str, lang: str | None = None) -> dict[str, Any]:
    """What ``oauthmail.explain(text)`` gives: :func:`describe` of :func:`explain` (``oauthmail explain --json``).

    Keys: ``recognised``, ``id``, ``code``, ``title``, ``what``, ``causes``, ``fix``, ``where``, ``kind``,
    the texts in ``lang`` (default: the current language).
    """
    return describe(explain(text), lang, text)


def hint_for(text: str, lang: str | None = None) -> str | None:
    """The catalog's "what to do" for a raw error text, or ``None`` (for ``hint:`` lines and widgets)."""
    entry = explain(text)
    return entry.fix.format(lang) if entry else None


def error_for(text: str, default: type[OAuthMailError] | None = None, **params: Any) -> OAuthMailError | None:
    """An exception for a raw error text, with the catalog's what/fix; ``None`` if not recognised.

    ``text`` must already be free of secrets: it is kept as the exception's ``details``.
    """
    entry = explain(text)
    if entry is None:
        return None
    cls = entry.kind if entry.kind is not OAuthMailError or default is None else default
    return cls(entry.what, entry.fix, code=code_of(entry, text), details=text, **params)


_loaded = False


def _load() -> None:
    """Import the catalog's entries on first use (kept out of ``import oauthmail``)."""
    global _loaded
    if not _loaded:
        _loaded = True
        from . import (
            _catalog,  # noqa: F401  (registers entries)
            _catalog_fallback,  # noqa: F401  (last: the catch-alls by code, after everyone's entries)
        )


# ``oauthmail.explain(text)`` is this module, called: it runs :func:`explain_text` (see ``oauthmail/_callable.py``).
from ._callable import make_callable  # noqa: E402

make_callable(__name__, explain_text)
