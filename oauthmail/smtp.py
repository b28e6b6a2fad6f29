"""SMTP with STARTTLS or implicit TLS, SASL XOAUTH2/OAUTHBEARER, and a masked transcript.

Built on :mod:`smtplib` (the same code a person's own script would use), with two additions:
a subclass that records the conversation with timings — every AUTH argument and SASL response
replaced by ``*****`` before it is stored — and the translation of every failure into an
:mod:`oauthmail.errors` exception that says what to do.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import time

from ._plain import Plain
from .errors import AuthenticationError, DeliveryError, NetworkError, OAuthMailError
from .i18n import Msg
from .sasl import MECHANISMS, SaslAuthObject
from .secrets import MASK, printable, redact
from .tls import TIMED_OUT, TIMED_OUT_HINT, network_error, ssl_context

TYPE_CHECKING = False  # start-up time of a send: no ``typing``/``dataclasses`` at run time
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any, TextIO

#: Longest ``AUTH <mech> <initial response>`` line sent in one go (RFC 4954 §4 allows servers to
#: refuse long lines; 500 is below every limit seen). Longer responses wait for the ``334`` prompt.
MAX_INLINE_AUTH = 500

NO_STARTTLS = Msg(
    en="{where} does not offer STARTTLS, so the token would travel unencrypted; nothing was sent.",
    ja="{where} は STARTTLS に対応していないため、トークンが暗号化されずに送られてしまいます。何も送信していません。",
)
NO_STARTTLS_HINT = Msg(
    en="Check the host and port: Gmail and Microsoft 365 use 587 with starttls (or Gmail 465 with ssl).",
    ja="ホストとポートを確認してください。Gmail と Microsoft 365 は 587 番ポートで starttls（Gmail は 465 番で ssl も可）です。",
)
NO_MECHANISM = Msg(
    en="{where} does not offer {mechanism} login (it offers: {offered}).",
    ja="{where} は {mechanism} でのログインに対応していません（対応している方式: {offered}）。",
)
NO_MECHANISM_HINT = Msg(
    en="Check that the host is your provider's submission server (smtp.gmail.com, smtp.office365.com) "
    "and the port/security pair is right; or set sasl_mechanism in the token INI to one the server offers.",
    ja="ホストがプロバイダーの送信サーバー（smtp.gmail.com、smtp.office365.com）で、ポートとセキュリティ方式の組み合わせが正しいか確認してください。"
    "またはトークン INI の sasl_mechanism をサーバーが対応している方式にしてください。",
)
AUTH_REFUSED = Msg(
    en="The mail server refused the login for {user}: {reply}",
    ja="メールサーバーが {user} のログインを拒否しました: {reply}",
)
AUTH_REFUSED_HINT = Msg(
    en="The access token was not accepted: check that the token is for this address and for the mail permission "
    "(Gmail: https://mail.google.com/, Microsoft: SMTP.Send). If it persists, run the consent step again.",
    ja="アクセス トークンが受け付けられませんでした。トークンがこのアドレス用で、メール送信の権限"
    "（Gmail: https://mail.google.com/、Microsoft: SMTP.Send）を含むか確認してください。続く場合は同意の手順をやり直してください。",
)
DELIVERY_REFUSED = Msg(
    en="The mail server accepted the login but refused the message ({stage}): {reply}",
    ja="ログインは成功しましたが、メールサーバーがメッセージを受け付けませんでした（{stage}）: {reply}",
)
DELIVERY_REFUSED_HINT = Msg(
    en="Check the sender (it must be the signed-in address or an allowed alias), the recipients' addresses and the "
    "message size; the server's reply above says which.",
    ja="差出人（サインインしたアドレスか、許可された別名である必要があります）、宛先アドレス、メッセージのサイズを確認してください。"
    "どれが原因かは上のサーバーの返答に書かれています。",
)
DISCONNECTED = Msg(
    en="The connection to {where} closed unexpectedly ({reason}).",
    ja="{where} との接続が予期せず切れました（{reason}）。",
)
DISCONNECTED_HINT = Msg(
    en="Try again; if it keeps happening, check the port/security pair (587 starttls, 465 ssl) and any firewall or proxy.",
    ja="もう一度試してください。続く場合は、ポートとセキュリティ方式の組み合わせ（587 は starttls、465 は ssl）と、"
    "ファイアウォールやプロキシを確認してください。",
)


# --- the transcript ----------------------------------------------------------------------------


class Transcript(Plain):
    """The SMTP conversation, timed, with secrets masked before a line is stored."""

    __slots__ = ("echo", "lines", "secrets", "start")
    __match_args__ = ("secrets", "lines", "start", "echo")
    _fields = __match_args__

    secrets: list[str]
    lines: list[str]
    start: float
    #: Also print each line as it happens (``--debug``: a hang shows where it hangs).
    echo: TextIO | None

    def __init__(self, secrets: list[str] | None = None, lines: list[str] | None = None, start: float | None = None,
                 echo: TextIO | None = None) -> None:
        self.secrets = [] if secrets is None else secrets
        self.lines = [] if lines is None else lines
        self.start = time.perf_counter() if start is None else start
        self.echo = echo

    def __repr__(self) -> str:
        # The secrets themselves never show (a dataclass repr would have printed them).
        return (f"Transcript(secrets=[{', '.join(repr(MASK) for _ in self.secrets)}], lines={self.lines!r}, "
                f"start={self.start!r}, echo={self.echo!r})")

    def add_secret(self, *values: str | None) -> None:
        """Values to remove from any line stored afterwards (tokens, SASL strings)."""
        self.secrets.extend(v for v in values if v)

    def _add(self, who: str, text: str) -> None:
        clean = printable(redact(text, self.secrets))  # server text: no secret, no terminal control
        line = f"{time.perf_counter() - self.start:8.3f}s {who}: {clean}"
        self.lines.append(line)
        if self.echo is not None:
            print(line, file=self.echo, flush=True)

    def client(self, text: str) -> None:
        self._add("C", text)

    def server(self, text: str) -> None:
        self._add("S", text)

    def note(self, text: str) -> None:
        self._add("*", text)

    def text(self) -> str:
        """All lines, one per line."""
        return "\n".join(self.lines)


class _Tracing:
    """Mixin for :class:`smtplib.SMTP`: record what goes over the wire, masked."""

    transcript: Transcript | None = None
    #: Inside an AUTH exchange: lines the client sends are SASL responses and are never shown.
    _in_auth = False
    #: The message content (after ``354``) has started to go out: a failure now leaves it unknown
    #: whether the server took the message.
    payload_started = False

    def send(self, s: Any) -> None:
        t = self.transcript
        if isinstance(s, (bytes, bytearray)):
            self.payload_started = True
            if t is not None:
                t.client(f"<message content: {len(s)} bytes>")
        elif t is not None:
            line = str(s).rstrip("\r\n")
            if line.upper().startswith("AUTH "):
                parts = line.split(" ", 2)
                line = " ".join(parts[:2]) + (f" {MASK}" if len(parts) > 2 else "")
                self._in_auth = True
            elif self._in_auth:
                line = MASK if line else "(empty line)"
            t.client(line)
        elif str(s).upper().startswith("AUTH "):
            self._in_auth = True
        super().send(s)  # type: ignore[misc]

    def getreply(self) -> tuple[int, bytes]:
        code, msg = super().getreply()  # type: ignore[misc]
        if code != 334:
            self._in_auth = False
        t = self.transcript
        if t is not None:
            lines = msg.decode("utf-8", "replace").split("\n") if msg else [""]
            for i, text in enumerate(lines):
                sep = "-" if i < len(lines) - 1 else " "
                t.server(f"{code}{sep}{text}".rstrip())
        return code, msg


class TracingSMTP(_Tracing, smtplib.SMTP):
    """:class:`smtplib.SMTP` that keeps a masked transcript."""


class TracingSMTPSSL(_Tracing, smtplib.SMTP_SSL):
    """:class:`smtplib.SMTP_SSL` that keeps a masked transcript."""


# --- small helpers -----------------------------------------------------------------------------


def _local_name() -> str:
    # socket.getfqdn() may wait seconds on a reverse DNS lookup; the EHLO name is not checked by
    # submission servers, so the plain host name (or "localhost") is enough.
    name = socket.gethostname()
    return name if name and name.isascii() and all(c.isalnum() or c in "-." for c in name) else "localhost"


def reply_text(code: int, msg: bytes | str) -> str:
    """``535 5.7.139 Authentication unsuccessful…`` on one line, secret-free."""
    text = msg.decode("utf-8", "replace") if isinstance(msg, (bytes, bytearray)) else str(msg)
    return redact(f"{code} {' '.join(text.split())}".strip())


def _disconnected(exc: BaseException, where: str, timeout: float) -> OAuthMailError:
    text = str(exc)
    if "timed out" in text or isinstance(exc.__context__, (TimeoutError, socket.timeout)):
        return NetworkError(TIMED_OUT, TIMED_OUT_HINT, where=where, timeout=f"{timeout:g}", code="timeout")
    return NetworkError(DISCONNECTED, DISCONNECTED_HINT, where=where, reason=redact(text)[:200] or "EOF",
                        code="disconnected")


# --- connect, authenticate, send ---------------------------------------------------------------


def connect(
    host: str,
    port: int,
    security: str,
    *,
    timeout: float = 30,
    transcript: Transcript | None = None,
    context: ssl.SSLContext | None = None,
) -> smtplib.SMTP:
    """An open, TLS-protected and EHLO'd connection (STARTTLS: EHLO, STARTTLS, EHLO again)."""
    where = f"{host}:{port}"
    ctx = context or ssl_context()
    conn: smtplib.SMTP
    if security == "ssl":
        conn = TracingSMTPSSL(local_hostname=_local_name(), timeout=timeout, context=ctx)
    else:
        conn = TracingSMTP(local_hostname=_local_name(), timeout=timeout)
    conn.transcript = transcript  # type: ignore[attr-defined]
    conn._host = host  # type: ignore[union-attr]  # smtplib sets it only in __init__; TLS needs it for SNI/hostname checks
    if transcript is not None:
        transcript.note(f"connect {where} ({security})")
    try:
        code, msg = conn.connect(host, port)
        if code != 220:
            raise NetworkError(DISCONNECTED, DISCONNECTED_HINT, where=where, reason=reply_text(code, msg),
                               code="bad_greeting")
        conn.ehlo()
        if security != "ssl":
            if not conn.has_extn("starttls"):
                raise NetworkError(NO_STARTTLS, NO_STARTTLS_HINT, where=where, code="no_starttls")
            conn.starttls(context=ctx)
            conn.ehlo()
    except OAuthMailError:
        _close(conn)
        raise
    except smtplib.SMTPServerDisconnected as exc:
        _close(conn)
        raise _disconnected(exc, where, timeout) from None
    except (OSError, smtplib.SMTPException) as exc:
        _close(conn)
        raise network_error(exc, where, host, timeout) from None
    return conn


def _close(conn: smtplib.SMTP) -> None:
    try:
        conn.close()
    except Exception:  # closing must never hide the real error
        pass


def authenticate(
    conn: smtplib.SMTP,
    user: str,
    token: str,
    mechanism: str = "XOAUTH2",
    *,
    transcript: Transcript | None = None,
    max_inline: int = MAX_INLINE_AUTH,
) -> None:
    """SASL XOAUTH2 or OAUTHBEARER login; the initial response goes inline only if the line stays short."""
    mech = (mechanism or "XOAUTH2").upper()
    host = getattr(conn, "_host", "") or ""
    port = getattr(conn.sock, "getpeername", lambda: ("", 0))()[1] if conn.sock else 0
    where = f"{host}:{port}"
    offered = conn.esmtp_features.get("auth", "").upper().split()
    if mech not in MECHANISMS or mech not in offered:
        raise AuthenticationError(NO_MECHANISM, NO_MECHANISM_HINT, where=where, mechanism=mech,
                                  offered=" ".join(offered) or "-", code="no_mechanism")
    obj = SaslAuthObject(mech, user, token, host, port)
    initial = obj.initial()
    if transcript is not None:
        transcript.add_secret(token, initial, obj.raw)
    inline = len("AUTH ") + len(mech) + 1 + len(initial) + 2 <= max_inline
    try:
        conn.auth(mech, obj, initial_response_ok=inline)
    except smtplib.SMTPAuthenticationError as exc:
        raise auth_error(exc.smtp_code, exc.smtp_error, user, obj.error_text) from None
    except smtplib.SMTPServerDisconnected as exc:
        raise _disconnected(exc, where, conn.timeout if isinstance(conn.timeout, (int, float)) else 30) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise network_error(exc, where, host) from None


def auth_error(code: int, msg: bytes | str, user: str, challenge: str | None = None) -> AuthenticationError:
    """The :class:`AuthenticationError` for a refused login, with the catalog's advice."""
    from .explain import error_for  # the catalog loads only when something went wrong

    reply = reply_text(code, msg)
    details = reply if not challenge else f"{reply} (server said: {redact(challenge)})"
    found = error_for(details, AuthenticationError, smtp_code=code, user=user, reply=reply)
    if isinstance(found, AuthenticationError):
        return found
    if found is not None:  # a catalog entry of another kind: keep its advice, make it an auth error
        return AuthenticationError(found.what_msg, found.hint_msg, smtp_code=code, code=found.code,
                                   details=details, user=user, reply=reply)
    return AuthenticationError(AUTH_REFUSED, AUTH_REFUSED_HINT, smtp_code=code, code=f"{code}",
                               details=details, user=user, reply=reply)


def delivery_error(code: int, msg: bytes | str, stage: str) -> DeliveryError:
    """The :class:`DeliveryError` for a refused MAIL/RCPT/DATA, with the catalog's advice."""
    from .explain import error_for

    reply = reply_text(code, msg)
    found = error_for(reply, DeliveryError, smtp_code=code, stage=stage, reply=reply)
    if isinstance(found, DeliveryError):
        return found
    if found is not None:
        return DeliveryError(found.what_msg, found.hint_msg, smtp_code=code, code=found.code, details=reply,
                             stage=stage, reply=reply)
    return DeliveryError(DELIVERY_REFUSED, DELIVERY_REFUSED_HINT, smtp_code=code, code=f"{code}", details=reply,
                         stage=stage, reply=reply)


def send_bytes(conn: smtplib.SMTP, sender: str, recipients: Sequence[str], data: bytes) -> dict[str, tuple[int, str]]:
    """MAIL, RCPT…, DATA; returns the refused recipients. Raises :class:`DeliveryError` on refusal.

    Connection failures propagate as :class:`smtplib.SMTPServerDisconnected` / :class:`OSError`
    so the caller can tell, from ``conn.payload_started``, whether the message may have gone.
    """
    if hasattr(conn, "payload_started"):
        conn.payload_started = False
    options: list[str] = []
    if not data.isascii() and conn.has_extn("8bitmime"):
        options.append("BODY=8BITMIME")
    code, msg = conn.mail(sender, options)
    if code != 250:
        _rset(conn)
        raise delivery_error(code, msg, "MAIL FROM")
    refused: dict[str, tuple[int, str]] = {}
    for rcpt in recipients:
        code, msg = conn.rcpt(rcpt)
        if code not in (250, 251):
            refused[rcpt] = (code, reply_text(code, msg))
    if len(refused) == len(recipients):
        _rset(conn)
        first_code, first_text = next(iter(refused.values()))
        raise delivery_error(first_code, first_text.partition(" ")[2], "RCPT TO")
    try:
        code, msg = conn.data(data)
    except smtplib.SMTPDataError as exc:
        _rset(conn)
        raise delivery_error(exc.smtp_code, exc.smtp_error, "DATA") from None
    if code != 250:
        _rset(conn)
        raise delivery_error(code, msg, "DATA")
    return refused


def _rset(conn: smtplib.SMTP) -> None:
    try:
        conn.rset()
    except (OSError, smtplib.SMTPException):
        pass


def quit_quietly(conn: smtplib.SMTP | None) -> None:
    """QUIT, ignoring a connection that is already gone."""
    if conn is None:
        return
    try:
        conn.quit()
    except (OSError, smtplib.SMTPException):
        _close(conn)


def masked_lines(lines: Iterable[str], secrets: Iterable[str]) -> list[str]:
    """Lines with every known secret removed (for text from elsewhere)."""
    known = list(secrets)
    return [redact(line, known) for line in lines]
