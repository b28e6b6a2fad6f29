"""Keeping secrets out of output: masking helpers shared by transcripts, errors and records."""

from __future__ import annotations

TYPE_CHECKING = False  # no ``typing`` at run time (start-up time of every command)
if TYPE_CHECKING:
    import re
    from collections.abc import Iterable
    from re import Pattern

MASK = "*****"

# Shapes of real secrets, for a last line of defence in text we did not build ourselves
# (server replies, library exception messages). Values we know are removed by value first.
# Each shape may keep a prefix (group ``keep``: ``refresh_token=``, ``https://user:``) and a
# suffix (group ``tail``: the ``@`` of ``user:pass@host``); only the part between is masked.
_SHAPE_SOURCES = (
    r"ya29\.[A-Za-z0-9_\-.]{10,}",  # Google access token
    r"1//0[A-Za-z0-9_\-]{20,}",  # Google refresh token
    r"GOCSPX-[A-Za-z0-9_\-]{10,}",  # Google client secret
    r"4/0A[A-Za-z0-9_\-]{10,}",  # Google authorization code
    r"eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]*",  # JWT
    r"(?<![A-Za-z0-9])0\.A[A-Za-z0-9_\-.*!$]{20,}",  # Microsoft (Entra) refresh token / code
    r"(?<![A-Za-z0-9])M\.C[0-9][A-Za-z0-9_\-.*!$]{20,}",  # Microsoft personal-account refresh token / code
    r"(?<![A-Za-z0-9])EwB[A-Za-z0-9+/=_\-]{20,}",  # Microsoft personal-account access token
    r"(?<![A-Za-z0-9])DAQAB[A-Za-z0-9_\-]{20,}",  # Entra device code
    r"(?<![A-Za-z0-9+/])(?:dXNlcj|bixhP)[A-Za-z0-9+/=]{16,}",  # base64 XOAUTH2 ("user=…") / OAUTHBEARER ("n,a=…")
    r"(?i)(?P<keep>[a-z][a-z0-9+.\-]*://[^/\s:@]*:)[^@\s/]+(?P<tail>@)",  # user:password@ in a URL (proxies)
    r"(?i)(?P<keep>(?:(?:access|refresh|id)_token|client_secret|code_verifier|device_code|password|assertion)"
    r"[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]{6,}",
    r"(?i)(?P<keep>[?&#]code=)[^\s\"'&#]{6,}",  # an authorization code in a redirect address
)
#: Literal text each shape cannot match without (the keyword ones: lower-cased, ASCII text only).
#: Text with none of them is returned without running (or even compiling) the patterns: the SMTP
#: transcript redacts every line, and compiling costs start-up time of a one-message send.
_NEEDLES = ("ya29.", "1//0", "GOCSPX-", "4/0A", "eyJ", "0.A", "M.C", "EwB", "DAQAB", "dXNlcj", "bixhP")
_KEY_NEEDLES = ("_token", "client_secret", "code_verifier", "device_code", "password", "assertion", "code=")
_shapes: list[Pattern[str]] = []


def secret_shapes() -> list[Pattern[str]]:
    """The compiled shapes (compiled on first use)."""
    if not _shapes:
        import re

        _shapes.extend(re.compile(source) for source in _SHAPE_SOURCES)
    return _shapes


def may_hold_secret_shape(text: str) -> bool:
    """False only when no shape can match ``text`` (a cheap test before the patterns run)."""
    if not text.isascii():  # (?i) also matches some non-ASCII letters (the Kelvin sign for k): let the patterns decide
        return True
    if any(needle in text for needle in _NEEDLES):
        return True
    low = text.lower()
    if "://" in low and "@" in low:
        return True
    return any(needle in low for needle in _KEY_NEEDLES)


def mask(value: str | None, keep: int = 0) -> str:
    """``*****``, or ``*****abcd`` keeping the last ``keep`` characters of a long value."""
    if not value:
        return ""
    if keep and len(value) > keep * 4:
        return MASK + value[-keep:]
    return MASK


def shorten_id(value: str | None, head: int = 8, tail: int = 4) -> str:
    """A client id short enough for a record and still recognisable: ``1234abcd…x.com``."""
    if not value:
        return ""
    if len(value) <= head + tail + 1:
        return value
    return f"{value[:head]}…{value[-tail:]}"


#: Secret values this process has read or received (INI accounts, client secrets, new tokens): every
#: :func:`redact` removes them too, so a path that formats server text without passing the account's
#: secrets still cannot print one.
_known: set[str] = set()


def remember(*values: str | None) -> None:
    """Add secret values that every later :func:`redact` removes (values shorter than 8 characters are ignored)."""
    _known.update(v for v in values if isinstance(v, str) and len(v) >= 8)


def forget() -> None:
    """Drop every value :func:`remember` added (tests)."""
    _known.clear()


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Remove every known secret value and anything shaped like a token from ``text``."""
    out = text
    given = {s for s in secrets if s and len(s) >= 4}
    for s in sorted(given | _known, key=len, reverse=True):
        if s in out:
            out = out.replace(s, MASK)
    if not may_hold_secret_shape(out):
        return out
    for pattern in secret_shapes():
        out = pattern.sub(_keep_around if pattern.groups else MASK, out)
    return out


def printable(text: str) -> str:
    """``text`` without terminal control characters: escape sequences (ESC …), other C0 and C1 controls, DEL and
    lone carriage returns; line breaks and tabs stay. Server replies and library messages are shown to a person
    on a terminal: an ESC from the other side must not recolour, move or hide what the kit prints."""
    if text.isascii() and text.isprintable():
        return text
    import re

    text = re.sub(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-_]?)", "", text.replace("\r\n", "\n"))
    return "".join(c for c in text if c in "\n\t" or not (ord(c) < 32 or 127 <= ord(c) < 160))


def _keep_around(match: re.Match[str]) -> str:
    return (match.group("keep") or "") + MASK + (match.groupdict().get("tail") or "")


def looks_like_secret(text: str) -> bool:
    """Whether ``text`` may be a token, secret or code: a secret shape, or one long unbroken word of mixed case
    and digits, 20 characters or more (an Azure secret value, a refresh token that wrapped onto its own line). Used before echoing a
    value a person typed (an INI line, a pasted value) back in a message."""
    t = text.strip()
    if redact(t) != t:
        return True
    if len(t) < 20 or any(c.isspace() for c in t):
        return False
    kinds = (any(c.islower() for c in t), any(c.isupper() for c in t), any(c.isdigit() for c in t))
    return all(kinds) and sum(c.isalnum() or c in "-_.~+/=*!$" for c in t) == len(t)
