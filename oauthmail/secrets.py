"""Keeping secrets out of output: masking helpers shared by transcripts, errors and records."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "*****"

# Shapes of real secrets, for a last line of defence in text we did not build ourselves
# (server replies, library exception messages). Values we know are removed by value first.
_SECRET_SHAPES = [
    re.compile(r"ya29\.[A-Za-z0-9_\-.]{10,}"),  # Google access token
    re.compile(r"1//0[A-Za-z0-9_\-]{20,}"),  # Google refresh token
    re.compile(r"GOCSPX-[A-Za-z0-9_\-]{10,}"),  # Google client secret
    re.compile(r"eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]*"),  # JWT
    re.compile(r"(?i)((?:access|refresh|id)_token|client_secret|code_verifier)([\"']?\s*[:=]\s*[\"']?)"
               r"[^\s\"'&,}]{6,}"),
]


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
    for pattern in _SECRET_SHAPES:
        if pattern.groups >= 2:
            out = pattern.sub(lambda m: m.group(1) + m.group(2) + MASK, out)
        else:
            out = pattern.sub(MASK, out)
    return out
