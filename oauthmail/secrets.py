"""Keeping secrets out of output: masking helpers shared by transcripts, errors and records."""

from __future__ import annotations

TYPE_CHECKING = False  # no ``typing`` at run time (start-up time of every command)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from re import Pattern

MASK = "*****"

# Shapes of real secrets, for a last line of defence in text we did not build ourselves
# (server replies, library exception messages). Values we know are removed by value first.
_SHAPE_SOURCES = (
    r"ya29\.[A-Za-z0-9_\-.]{10,}",  # Google access token
    r"1//0[A-Za-z0-9_\-]{20,}",  # Google refresh token
    r"GOCSPX-[A-Za-z0-9_\-]{10,}",  # Google client secret
    r"eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]*",  # JWT
    r"(?i)((?:access|refresh|id)_token|client_secret|code_verifier)([\"']?\s*[:=]\s*[\"']?)"
    r"[^\s\"'&,}]{6,}",
)
#: Literal text each shape cannot match without (the keyword one: lower-cased, ASCII text only).
#: Text with none of them is returned without running (or even compiling) the patterns: the SMTP
#: transcript redacts every line, and compiling costs start-up time of a one-message send.
_NEEDLES = ("ya29.", "1//0", "GOCSPX-", "eyJ")
_KEY_NEEDLES = ("_token", "client_secret", "code_verifier")
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


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Remove every known secret value and anything shaped like a token from ``text``."""
    out = text
    for s in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        out = out.replace(s, MASK)
    if not may_hold_secret_shape(out):
        return out
    for pattern in secret_shapes():
        if pattern.groups >= 2:
            out = pattern.sub(lambda m: m.group(1) + m.group(2) + MASK, out)
        else:
            out = pattern.sub(MASK, out)
    return out
