"""Sending: one message (:func:`send_message`, :func:`send`) or many over one connection (:class:`Mailer`).

Where settings come from, first match wins: the call's overrides, the account's INI keys, the
provider's defaults (:mod:`oauthmail.providers`).

Retry rules, chosen so that nothing is ever sent twice:

* a ``535`` to a *cached* token: refresh once (the cache may be stale, e.g. revoked early) and
  log in again once; a freshly refreshed token that gets ``535`` is reported, not retried.
* :class:`Mailer`: a message counts as **sent** only after the server's ``250`` to the end of
  DATA. If the connection drops before the message content went out (greeting, MAIL, RCPT,
  the DATA command), the kit reconnects and sends it. If it drops after the content started
  to go out and before the ``250``, the server may or may not have taken it: the message is
  reported as **unknown** (``code == "delivery_unknown"``) and is NOT resent; the batch goes on
  with the next message on a new connection.
"""

from __future__ import annotations

import smtplib
import time
from email.message import EmailMessage, Message
from email.utils import make_msgid

from . import providers, tokenfile
from ._plain import Plain
from .errors import AuthenticationError, ConfigError, DeliveryError, NetworkError, OAuthMailError
from .i18n import Msg
from .message import (
    NO_RECIPIENT,
    NO_RECIPIENT_HINT,
    Attachment,
    build_message,
    header_value,
    message_bytes,
    recipients,
    sender_address,
)
from .smtp import (
    DISCONNECTED,
    DISCONNECTED_HINT,
    Transcript,
    authenticate,
    connect,
    quit_quietly,
    send_bytes,
)
from .tls import network_error
from .tokens import AccessToken, access_token_and_account

# Start-up time of ``oauthmail send``: no ``typing``, ``dataclasses`` or ``pathlib`` at run time, and
# the HTTPS transports (``oauthmail.transports``) only for an account that uses one.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from pathlib import Path
    from types import TracebackType
    from typing import Any

GMAIL_FROM_REWRITE = Msg(
    en="warning: Gmail will replace the From address {sender} with {user} unless {sender} is a verified "
    "'Send mail as' address in Gmail's settings (Settings → Accounts and Import).",
    ja="警告: {sender} が Gmail の設定（「すべての設定を表示」→「アカウントとインポート」→「名前」）で確認済みの送信元アドレスでない限り、"
    "Gmail は差出人 {sender} を {user} に置き換えます。",
)
DELIVERY_UNKNOWN = Msg(
    en="The connection to {where} dropped while the message was being sent; it may or may not have been delivered.",
    ja="メッセージの送信中に {where} との接続が切れました。届いたかどうかは分かりません。",
)
DELIVERY_UNKNOWN_HINT = Msg(
    en="It was not sent again, to avoid a duplicate. Check the recipient's mailbox or the Sent folder before sending it again.",
    ja="二重送信を避けるため、再送はしていません。もう一度送る前に、受信側のメールボックスか送信済みフォルダーを確認してください。",
)


class SmtpSettings(Plain):
    """Where and how to connect."""

    __slots__ = ("host", "mechanism", "port", "security")
    __match_args__ = ("host", "port", "security", "mechanism")
    _fields = __match_args__

    host: str
    port: int
    security: str
    mechanism: str

    def __init__(self, host: str, port: int, security: str, mechanism: str) -> None:
        self.host = host
        self.port = port
        self.security = security
        self.mechanism = mechanism


class SendResult(Plain):
    """What happened to one message (the transcript is already masked); :meth:`to_dict` for records."""

    __slots__ = ("account", "elapsed", "host", "message_id", "ok", "port", "recipients", "refused", "security",
                 "token_refreshed", "transcript", "transport", "warnings")
    __match_args__ = ("ok", "message_id", "recipients", "refused", "transcript", "account", "host", "port",
                      "security", "elapsed", "transport", "token_refreshed", "warnings")
    _fields = __match_args__

    ok: bool
    message_id: str
    recipients: list[str]
    refused: dict[str, tuple[int, str]]
    transcript: str
    account: str
    host: str
    port: int
    security: str
    elapsed: float
    transport: str
    token_refreshed: bool
    #: Things a person should know although the message went (already in the current language).
    warnings: list[str]

    def __init__(self, ok: bool, message_id: str, recipients: list[str], refused: dict[str, tuple[int, str]],
                 transcript: str, account: str, host: str, port: int, security: str, elapsed: float,
                 transport: str = "smtp", token_refreshed: bool = False, warnings: list[str] | None = None) -> None:
        self.ok = ok
        self.message_id = message_id
        self.recipients = recipients
        self.refused = refused
        self.transcript = transcript
        self.account = account
        self.host = host
        self.port = port
        self.security = security
        self.elapsed = elapsed
        self.transport = transport
        self.token_refreshed = token_refreshed
        self.warnings = [] if warnings is None else warnings


class Sent(tuple[str, dict[str, tuple[int, str]]]):
    """What :meth:`Mailer.send` returns: ``(message_id, refused)``, also by name."""

    __slots__ = ()

    def __new__(cls, message_id: str, refused: dict[str, tuple[int, str]]) -> Sent:
        return tuple.__new__(cls, (message_id, refused))

    @property
    def message_id(self) -> str:
        """The message's ``Message-ID`` header (made if the message had none)."""
        return self[0]

    @property
    def refused(self) -> dict[str, tuple[int, str]]:
        """Recipients the server refused (the others got it): address -> (code, reply)."""
        return self[1]

    def __getnewargs__(self) -> tuple[str, dict[str, tuple[int, str]]]:  # type: ignore[override]
        return self[0], self[1]

    def __repr__(self) -> str:
        return f"Sent(message_id={self[0]!r}, refused={self[1]!r})"


class BatchResult(Plain):
    """What :meth:`Mailer.send_many` did: ids sent, and (id, error) for the others."""

    __slots__ = ("failed", "reconnects", "sent")
    __match_args__ = ("sent", "failed", "reconnects")
    _fields = __match_args__

    sent: list[str]
    failed: list[tuple[str, OAuthMailError]]
    reconnects: int

    def __init__(self, sent: list[str] | None = None, failed: list[tuple[str, OAuthMailError]] | None = None,
                 reconnects: int = 0) -> None:
        self.sent = [] if sent is None else sent
        self.failed = [] if failed is None else failed
        self.reconnects = reconnects

    @property
    def unknown(self) -> list[str]:
        """Messages whose delivery is unknown (in flight when the connection dropped; not resent)."""
        return [mid for mid, err in self.failed if err.code == "delivery_unknown"]

    @property
    def ok(self) -> bool:
        return not self.failed


# --- small pure helpers ----------------------------------------------------------------------------


def smtp_settings(
    acc: tokenfile.Account,
    *,
    smtp_host: str | None = None,
    smtp_port: int | None = None,
    smtp_security: str | None = None,
    mechanism: str | None = None,
) -> SmtpSettings:
    """Overrides, then the INI, then the provider's defaults."""
    if acc.provider == "microsoft":
        default = providers.microsoft_defaults(
            cloud=providers.microsoft_cloud_for_authority(acc.authority).name, email=acc.email).smtp
    else:
        default = providers.GMAIL_SMTP
    host = smtp_host or acc.smtp_host or default.host
    security = (smtp_security or "").lower()
    port = smtp_port or None
    if not security:
        if port in (465, 587):  # a well-known port given alone says its security mode
            security = "ssl" if port == 465 else "starttls"
        else:
            security = acc.smtp_security or default.security
    if not port:
        port = acc.smtp_port if acc.smtp_port and not smtp_security else None
        port = port or (default.port if security == default.security and host == default.host
                        else providers.default_port(security))
    mech = (mechanism or acc.sasl_mechanism or "XOAUTH2").upper()
    return SmtpSettings(host, int(port), security, mech)


def chosen_transport(acc: tokenfile.Account, override: str | None = None) -> str:
    """The transport a send uses (flag, else the INI's, else ``smtp``), as ``transports.resolve_transport``.

    ``smtp`` is answered here; only another transport imports :mod:`oauthmail.transports` (which
    checks it against the provider), so an SMTP send does not pay for loading it.
    """
    if (override or acc.transport or "smtp").strip().lower() == "smtp":
        return "smtp"
    from .transports import resolve_transport

    return resolve_transport(acc, override)


def _message_id(msg: Message, acc: tokenfile.Account) -> str:
    mid = header_value(msg, "Message-ID")
    if not mid:
        mid = make_msgid(domain=acc.email.rpartition("@")[2])
        msg["Message-ID"] = mid
    return str(mid).strip()


def _attach_transcript(exc: OAuthMailError, transcript: Transcript | None) -> None:
    if transcript is not None:
        exc.transcript = transcript.text()  # type: ignore[attr-defined]


# --- the stateful object ---------------------------------------------------------------------------


class Mailer:
    """Many messages over one connection with one token (see the module's retry rules)."""

    def __init__(
        self,
        ini: str | Path | tokenfile.TokenFile,
        account: str | None = None,
        *,
        smtp_host: str | None = None,
        smtp_port: int | None = None,
        smtp_security: str | None = None,
        mechanism: str | None = None,
        timeout: float = 30,
        transcript: Transcript | None = None,
        max_reconnects: int = 3,
        transport: str | None = None,
        api_url: str | None = None,
    ) -> None:
        self.ini = tokenfile.path_of(ini)
        #: A :class:`~oauthmail.TokenFile` passed in: used for the first login only (later ones re-read).
        self._given = ini if isinstance(ini, tokenfile.TokenFile) else None
        #: ``graph`` / ``gmail-api`` (flag, else the INI's): messages go over HTTPS, no SMTP connection.
        self.transport = transport
        self.api_url = api_url
        self._api: Any = None
        self.account_name = account
        self.overrides: dict[str, Any] = {"smtp_host": smtp_host, "smtp_port": smtp_port,
                                          "smtp_security": smtp_security, "mechanism": mechanism}
        self.timeout = timeout
        self.transcript = transcript
        self.max_reconnects = max_reconnects
        self.conn: smtplib.SMTP | None = None
        self.token: AccessToken | None = None
        self.account: tokenfile.Account | None = None
        self.settings: SmtpSettings | None = None
        self.token_refreshed = False
        self.reconnects = 0
        self._lost = False

    # context manager
    def __enter__(self) -> Mailer:
        self.open()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}" if self.settings else "?"

    def _https(self) -> bool:
        """Whether this account sends over HTTPS (decided once, from the flag or the INI)."""
        if self._api is None and self.transport != "smtp":
            chosen = chosen_transport(tokenfile.given_or_read(self._given or self.ini).account(self.account_name),
                                      self.transport)
            self.transport = chosen
            if chosen != "smtp":
                from .transports import ApiSender

                self._api = ApiSender(self.ini, self.account_name, transport=chosen, api_url=self.api_url,
                                      timeout=self.timeout, transcript=self.transcript)
        return self._api is not None

    def open(self) -> None:
        """Get a token, connect and log in (refreshing once on a 535 to a cached token)."""
        if self.conn is not None or self._https():
            return
        if self._lost:
            self._lost = False
            self.reconnects += 1
        source, self._given = self._given or self.ini, None
        token, acc = access_token_and_account(source, self.account_name, timeout=self.timeout)
        self.token, self.account = token, acc
        self.token_refreshed = self.token_refreshed or token.refreshed
        self.settings = smtp_settings(acc, **self.overrides)
        t = self.transcript
        if t is not None:
            t.add_secret(token.token, acc.refresh_token, acc.client_secret)
        s = self.settings
        conn = connect(s.host, s.port, s.security, timeout=self.timeout, transcript=t)
        try:
            authenticate(conn, acc.email, token.token, s.mechanism, transcript=t)
        except AuthenticationError as exc:
            quit_quietly(conn)
            if token.refreshed or exc.smtp_code != 535:
                raise
            if t is not None:
                t.note("login refused with a cached token: refreshing it once and trying again")
            token, acc = access_token_and_account(self.ini, acc.email, force_refresh=True, timeout=self.timeout)
            self.token, self.account, self.token_refreshed = token, acc, True
            if t is not None:
                t.add_secret(token.token, acc.refresh_token)
            conn = connect(s.host, s.port, s.security, timeout=self.timeout, transcript=t)
            try:
                authenticate(conn, acc.email, token.token, s.mechanism, transcript=t)
            except OAuthMailError:
                quit_quietly(conn)
                raise
        except OAuthMailError:
            quit_quietly(conn)
            raise
        self.conn = conn

    def close(self) -> None:
        """QUIT (quietly) and forget the connection."""
        conn, self.conn = self.conn, None
        quit_quietly(conn)

    def _drop(self) -> None:
        conn, self.conn = self.conn, None
        self._lost = True
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass

    def send(
        self,
        message: Message | None = None,
        *,
        to: str | Sequence[str] = (),
        subject: str = "",
        body: str = "",
        attachments: Sequence[Attachment] = (),
        cc: str | Sequence[str] = (),
        bcc: str | Sequence[str] = (),
        reply_to: str | None = None,
        sender_name: str | None = None,
        html: str | None = None,
        charset: str = "utf-8",
        headers: Mapping[str, str] | None = None,
    ) -> Sent:
        """Send one message on the open connection; returns ``Sent(message_id, refused)``.

        Either a ready message (``email.message.Message``, e.g. from :func:`oauthmail.build_message`)
        or the fields of one, sent from the account's own address. Raises :class:`DeliveryError`
        when refused and :class:`NetworkError` (``delivery_unknown`` if the content was in flight)
        when the connection fails.
        """
        if message is None:
            message = build_message(sender=self._sender(), to=to, subject=subject, body=body, cc=cc, bcc=bcc,
                                    reply_to=reply_to, attachments=attachments, charset=charset,
                                    sender_name=sender_name, html=html, headers=headers)
        return Sent(*self._send(message))

    def _sender(self) -> str:
        if self.account is not None:
            return self.account.email
        return tokenfile.read(self.ini).account(self.account_name).email

    def _send(self, msg: Message) -> tuple[str, dict[str, tuple[int, str]]]:
        if self._https():  # one HTTPS request per message; refusals are per message, like SMTP's
            reply, self.account, _, _ = self._api.send(msg)
            self.token_refreshed = self.token_refreshed or self._api.token_refreshed
            return reply.message_id, {}
        attempts = 0
        while True:
            self.open()
            assert self.conn is not None and self.account is not None
            acc = self.account
            mid = _message_id(msg, acc)
            rcpts = recipients(msg)
            if not rcpts:
                raise ConfigError(NO_RECIPIENT, NO_RECIPIENT_HINT, code="no_recipient")
            if not header_value(msg, "From"):
                msg["From"] = acc.email
            data = message_bytes(msg)
            conn = self.conn
            try:
                refused = send_bytes(conn, acc.email, rcpts, data)
                return mid, refused
            except DeliveryError as exc:
                if exc.smtp_code != 421:
                    raise
                self._drop()  # 421: the server is closing the channel and did not take the message
            except (smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException, OSError) as exc:
                in_flight = bool(getattr(conn, "payload_started", False))
                self._drop()
                if in_flight:
                    raise NetworkError(DELIVERY_UNKNOWN, DELIVERY_UNKNOWN_HINT, where=self.where,
                                       code="delivery_unknown") from None
                if attempts >= self.max_reconnects:
                    if isinstance(exc, smtplib.SMTPServerDisconnected):
                        raise NetworkError(DISCONNECTED, DISCONNECTED_HINT, where=self.where,
                                           reason=str(exc)[:200], code="disconnected") from None
                    raise network_error(exc, self.where) from None
            attempts += 1
            if self.transcript is not None:
                self.transcript.note("connection lost before the message content was sent: reconnecting")

    def send_many(self, messages: Iterable[Message]) -> BatchResult:
        """Send each message; a refusal or an unknown outcome is recorded and the batch goes on.

        After a failure that stops every further message (the token, the login, no way to
        reconnect) the rest are listed in ``failed`` with that same error, not tried.
        """
        result = BatchResult()
        fatal: OAuthMailError | None = None
        for msg in messages:
            mid = header_value(msg, "Message-ID")
            if fatal is not None:
                result.failed.append((mid, fatal))
                continue
            try:
                mid, _ = self.send(msg)
                result.sent.append(mid)
            except (DeliveryError, ConfigError) as exc:
                result.failed.append((mid or header_value(msg, "Message-ID"), exc))
            except NetworkError as exc:
                result.failed.append((mid or header_value(msg, "Message-ID"), exc))
                if exc.code != "delivery_unknown":
                    fatal = exc  # could not reconnect: do not hammer the server with the rest
            except OAuthMailError as exc:  # token or login failure: the rest cannot go either
                result.failed.append((mid, exc))
                fatal = exc
        result.reconnects = self.reconnects
        return result


# --- one-shot calls --------------------------------------------------------------------------------


def send_message(
    ini: str | Path | tokenfile.TokenFile,
    message: Message,
    *,
    account: str | None = None,
    smtp_host: str | None = None,
    smtp_port: int | None = None,
    smtp_security: str | None = None,
    mechanism: str | None = None,
    debug: bool = False,
    timeout: float = 30,
    transcript: Transcript | None = None,
    transport: str | None = None,
    api_url: str | None = None,
) -> SendResult:
    """Send one message with the account's token; errors carry ``.transcript`` (masked).

    ``debug=True`` prints the masked transcript to stderr as the conversation goes. An account made
    against the sandbox whose sandbox is not running (refused: nothing was sent) brings it up on its
    recorded ports and sends once more; the result's warnings say so. ``ini`` may be a
    :class:`~oauthmail.TokenFile` already read (its cached token is used without reading the file again).
    """
    kwargs: dict[str, Any] = {"account": account, "smtp_host": smtp_host, "smtp_port": smtp_port,
                              "smtp_security": smtp_security, "mechanism": mechanism, "debug": debug,
                              "timeout": timeout, "transcript": transcript, "transport": transport,
                              "api_url": api_url}
    try:
        return _send_once(ini, message, **kwargs)
    except NetworkError as exc:
        if exc.code not in ("connection_refused", "token_unreachable", "api_unreachable"):
            raise
        from .sandbox.lifecycle import revive_for_ini  # the error path only: no cost to a normal send

        path = tokenfile.path_of(ini)
        note = revive_for_ini(path, account, exc)
        if note is None:
            raise
    try:
        result = _send_once(path, message, **kwargs)  # the file again: reviving may have moved the ports
    except OAuthMailError as exc:
        exc.warnings.insert(0, note)  # the sandbox was started all the same: a caller that retries shows it
        raise
    result.warnings.insert(0, note)
    return result


def _send_once(
    ini: str | Path | tokenfile.TokenFile,
    message: Message,
    *,
    account: str | None,
    smtp_host: str | None,
    smtp_port: int | None,
    smtp_security: str | None,
    mechanism: str | None,
    debug: bool,
    timeout: float,
    transcript: Transcript | None,
    transport: str | None,
    api_url: str | None,
) -> SendResult:
    if transport != "smtp":  # graph / gmail-api (flag, else the INI's transport) go over HTTPS
        acc = tokenfile.given_or_read(ini).account(account)
        chosen = chosen_transport(acc, transport)
        if chosen != "smtp":
            from .transports import send_via

            if transcript is None and debug:
                import sys

                transcript = Transcript(echo=sys.stderr)
            return send_via(chosen, tokenfile.path_of(ini), message, account=acc.email, api_url=api_url, timeout=timeout,
                            transcript=transcript)
    t0 = time.perf_counter()
    if transcript is not None:
        t = transcript
    else:
        import sys

        t = Transcript(echo=sys.stderr if debug else None)
    mailer = Mailer(ini, account, smtp_host=smtp_host, smtp_port=smtp_port, smtp_security=smtp_security,
                    mechanism=mechanism, timeout=timeout, transcript=t, max_reconnects=1, transport="smtp")
    try:
        mailer.open()
        mid, refused = mailer.send(message)
    except OAuthMailError as exc:
        _attach_transcript(exc, t)
        raise
    finally:
        mailer.close()
    assert mailer.account is not None and mailer.settings is not None
    s, acc = mailer.settings, mailer.account
    warnings: list[str] = list(mailer.token.warnings) if mailer.token is not None else []
    sender = sender_address(message)
    if acc.provider == "google" and sender and sender.lower() != acc.email.lower():
        warnings.append(GMAIL_FROM_REWRITE(sender=sender, user=acc.email))
    return SendResult(True, mid, recipients(message), refused, t.text(), acc.email, s.host, s.port,
                      s.security, time.perf_counter() - t0, token_refreshed=mailer.token_refreshed,
                      warnings=warnings)


def send(
    ini: str | Path | tokenfile.TokenFile,
    *,
    to: str | Sequence[str],
    subject: str,
    body: str = "",
    attachments: Sequence[Attachment] = (),
    account: str | None = None,
    transport: str | None = None,
    cc: str | Sequence[str] = (),
    bcc: str | Sequence[str] = (),
    reply_to: str | None = None,
    sender_name: str | None = None,
    html: str | None = None,
    charset: str = "utf-8",
    headers: Mapping[str, str] | None = None,
    smtp_host: str | None = None,
    smtp_port: int | None = None,
    smtp_security: str | None = None,
    mechanism: str | None = None,
    timeout: float = 30,
    debug: bool = False,
    api_url: str | None = None,
) -> SendResult:
    """The one-line call: a message from the account's own address, built and sent.

    ``attachments``: file paths, or ``(file name, bytes, MIME type or None)`` tuples. ``transport``:
    ``smtp``, ``graph`` or ``gmail-api`` (default: the INI's, else ``smtp``). The result has the
    ``message_id`` and the ``transcript`` (masked: no token in it); errors are
    :class:`~oauthmail.OAuthMailError` subclasses that say what to do.
    """
    tf = tokenfile.given_or_read(ini)
    acc = tf.account(account)
    msg: EmailMessage = build_message(sender=acc.email, to=to, subject=subject, body=body, cc=cc, bcc=bcc,
                                      reply_to=reply_to, attachments=attachments, charset=charset,
                                      sender_name=sender_name, html=html, headers=headers)
    return send_message(tf, msg, account=acc.email, smtp_host=smtp_host, smtp_port=smtp_port,
                        smtp_security=smtp_security, mechanism=mechanism, debug=debug, timeout=timeout,
                        transport=transport, api_url=api_url)
