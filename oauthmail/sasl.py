"""SASL strings for OAuth2 over SMTP: XOAUTH2 (Google, Microsoft) and OAUTHBEARER (RFC 7628).

Pure functions, no I/O. Why an auth object and not ``smtplib``'s ``auth(..., initial_response_ok)``
alone: a refused token makes Gmail answer with ``334 <base64 JSON>``; the client must answer
that challenge (XOAUTH2: an empty line, OAUTHBEARER: ``0x01``) to get the final ``535``, and
the decoded JSON is the only place the server says *why* (``invalid_token``, wrong scope…).
"""

from __future__ import annotations

import base64
import binascii

from .errors import ConfigError
from .i18n import Msg

TYPE_CHECKING = False  # no ``typing`` at run time (start-up time of a send)
if TYPE_CHECKING:
    from typing import Any

BAD_USER = Msg(
    en="The login name {user!r} cannot be used for XOAUTH2 (it must be a plain e-mail address without spaces or control characters).",
    ja="ログイン名 {user!r} は XOAUTH2 に使えません（空白や制御文字を含まない、ふつうのメールアドレスにしてください）。",
)
BAD_USER_HINT = Msg(
    en="Check the account's address in the token INI (its [section] name) or the --account value.",
    ja="トークン INI のアカウント名（[セクション] 名）または --account の値を確認してください。",
)
BAD_TOKEN = Msg(
    en="The access token has characters a SASL string cannot carry.",
    ja="アクセス トークンに SASL 文字列で使えない文字が含まれています。",
)
BAD_TOKEN_HINT = Msg(
    en="The token file's access_token is damaged: delete the access_token line (it is only a cache) and try again.",
    ja="トークン INI の access_token が壊れています。access_token の行を消して（キャッシュなので消しても大丈夫です）もう一度試してください。",
)

MECHANISMS = ("XOAUTH2", "OAUTHBEARER")


def _check(user: str, token: str) -> None:
    if not user or not user.isascii() or any(c.isspace() or ord(c) < 32 or c in ",=\x7f" for c in user):
        raise ConfigError(BAD_USER, BAD_USER_HINT, user=user[:80], code="sasl_bad_user")
    if not token or not token.isascii() or any(ord(c) <= 32 or ord(c) == 127 for c in token):
        raise ConfigError(BAD_TOKEN, BAD_TOKEN_HINT, code="sasl_bad_token")


def xoauth2_raw(user: str, token: str) -> str:
    """``user=<user>^Aauth=Bearer <token>^A^A`` (not yet base64)."""
    _check(user, token)
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def xoauth2_string(user: str, token: str) -> str:
    """The base64 XOAUTH2 initial response, as ``AUTH XOAUTH2 <this>`` or msmtp expect it."""
    return base64.b64encode(xoauth2_raw(user, token).encode("ascii")).decode("ascii")


def oauthbearer_raw(user: str, token: str, host: str, port: int) -> str:
    """RFC 7628 §3.1 client response: ``n,a=<user>,^Ahost=..^Aport=..^Aauth=Bearer ..^A^A``."""
    _check(user, token)
    host = "".join(c for c in host if 32 < ord(c) < 127 and c not in ",\x01")
    return f"n,a={user},\x01host={host}\x01port={int(port)}\x01auth=Bearer {token}\x01\x01"


def oauthbearer_string(user: str, token: str, host: str, port: int) -> str:
    """The base64 OAUTHBEARER initial response."""
    return base64.b64encode(oauthbearer_raw(user, token, host, port).encode("ascii")).decode("ascii")


def decode_challenge(challenge: bytes | str) -> str:
    """A server challenge (already base64-decoded by smtplib, or still base64) as readable text."""
    raw = challenge.encode("latin-1") if isinstance(challenge, str) else challenge
    text = raw.decode("utf-8", "replace").strip()
    if text and not text.startswith("{"):
        try:
            again = base64.b64decode(text, validate=True).decode("utf-8", "replace").strip()
            if again.startswith("{"):
                text = again
        except (binascii.Error, ValueError):
            pass
    return text


def parse_error_json(text: str) -> dict[str, Any] | None:
    """Gmail's ``{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}`` or ``None``."""
    import json  # only on the error path

    try:
        value = json.loads(text)
    except (ValueError, TypeError):
        return None
    return value if isinstance(value, dict) else None


class SaslAuthObject:
    """A callable for :meth:`smtplib.SMTP.auth`: initial response, then the challenge answer.

    smtplib calls it with ``None`` for the initial response, then with each decoded ``334``
    challenge. Initial response used → any challenge is an error report (answered with
    ``""`` for XOAUTH2, ``"\\x01"`` for OAUTHBEARER, kept in :attr:`error_text`). When
    ``initial=False`` (long tokens, RFC 4954 §4) the first, empty challenge gets the response.
    """

    def __init__(self, mechanism: str, user: str, token: str, host: str = "", port: int = 0) -> None:
        self.mechanism = mechanism.upper()
        if self.mechanism == "OAUTHBEARER":
            self.raw = oauthbearer_raw(user, token, host, port)
        else:
            self.raw = xoauth2_raw(user, token)
        #: Whether the response was already sent (inline or after the first prompt).
        self.sent = False
        #: The decoded error challenge (Gmail's JSON), if the server sent one.
        self.error_text: str | None = None
        self.error_json: dict[str, Any] | None = None

    def initial(self) -> str:
        """The base64 initial response (what goes on the AUTH line)."""
        return base64.b64encode(self.raw.encode("ascii")).decode("ascii")

    def __call__(self, challenge: bytes | None = None) -> str:
        if challenge is None or (not self.sent and not challenge.strip()):
            self.sent = True
            return self.raw
        self.error_text = decode_challenge(challenge)
        self.error_json = parse_error_json(self.error_text)
        return "\x01" if self.mechanism == "OAUTHBEARER" else ""

    def __repr__(self) -> str:
        return f"SaslAuthObject({self.mechanism}, sent={self.sent})"
