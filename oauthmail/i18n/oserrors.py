"""Operating-system errors in the reader's language, with the raw text kept for a search.

``Connection refused`` or ``[Errno 111] Connection refused`` means nothing to many readers of the
Japanese edition; :func:`os_reason` gives 「接続を拒否されました（Connection refused）」 in Japanese and the
raw text in English. Light on purpose: only :mod:`errno` and :class:`~oauthmail.i18n.Msg`.
"""

from __future__ import annotations

import errno
import re

from . import Msg

#: The errors a person meets while setting up mail, by errno name (names differ in number per OS).
_BY_NAME: dict[str, str] = {
    "ECONNREFUSED": "接続を拒否されました",
    "ETIMEDOUT": "接続がタイムアウトしました",
    "ENETUNREACH": "ネットワークに到達できません",
    "EHOSTUNREACH": "ホストに到達できません",
    "EHOSTDOWN": "ホストが停止しています",
    "ECONNRESET": "接続が相手側からリセットされました",
    "ECONNABORTED": "接続が中断されました",
    "EPIPE": "接続が切れています",
    "EADDRINUSE": "このアドレスとポートはすでに使われています",
    "EADDRNOTAVAIL": "このアドレスは使えません",
    "ENOENT": "ファイルまたはフォルダーがありません",
    "EACCES": "権限がないためアクセスできません",
    "EPERM": "この操作は許可されていません",
    "EISDIR": "ファイルではなくフォルダーが指定されています",
    "ENOTDIR": "フォルダーではありません",
    "ENOSPC": "ディスクの空き容量がありません",
    "EROFS": "読み取り専用のファイルシステムです",
}
_BY_NUMBER: dict[int, str] = {getattr(errno, name): ja for name, ja in _BY_NAME.items() if hasattr(errno, name)}
#: Phrases without an errno: name resolution (getaddrinfo), timeouts raised by Python, TLS.
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Name or service not known|nodename nor servname|Temporary failure in name resolution|"
                r"No address associated with hostname|getaddrinfo failed|NameResolutionError", re.I),
     "DNS でホスト名を解決できません"),
    (re.compile(r"timed out|TimeoutError|ConnectTimeout|ReadTimeout", re.I), "タイムアウトしました"),
    (re.compile(r"Connection refused", re.I), "接続を拒否されました"),
    (re.compile(r"Network is unreachable", re.I), "ネットワークに到達できません"),
    (re.compile(r"No route to host", re.I), "ホストに到達できません"),
    (re.compile(r"Connection reset", re.I), "接続が相手側からリセットされました"),
    (re.compile(r"CERTIFICATE_VERIFY_FAILED|certificate verify failed", re.I), "証明書を検証できません"),
    (re.compile(r"Remote end closed connection|RemoteDisconnected|EOF occurred", re.I), "相手側が接続を閉じました"),
)
_ERRNO = re.compile(r"\[Errno (-?\d+)\]\s*([^'\")\]]*)")


def _japanese(text: str, number: int | None) -> str | None:
    if number is not None and number in _BY_NUMBER:
        return _BY_NUMBER[number]
    for pattern, ja in _PHRASES:
        if pattern.search(text):
            return ja
    return None


def os_reason(error: BaseException | str) -> Msg:
    """An OS error (or the text of one) as a :class:`Msg`: English raw, Japanese translated + raw in brackets.

    >>> os_reason(ConnectionRefusedError(111, "Connection refused")).ja
    '接続を拒否されました（Connection refused）'
    """
    if isinstance(error, BaseException):
        number = error.errno if isinstance(error, OSError) else None
        raw = (getattr(error, "strerror", None) or str(error) or type(error).__name__).strip()
    else:
        raw, number = error.strip(), None
    m = _ERRNO.search(raw)
    if m and number is None:
        number = int(m.group(1))
    short = (m.group(0).strip() if m else raw)[:120] or raw
    ja = _japanese(raw, number)
    def esc(s: str) -> str:  # the raw text is a value, not a template
        return s.replace("{", "{{").replace("}", "}}")

    return Msg(en=esc(raw), ja=esc(f"{ja}（{short}）" if ja else raw))
