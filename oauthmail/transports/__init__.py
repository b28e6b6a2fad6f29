"""Sending over HTTPS: Microsoft Graph ``sendMail`` and the Gmail API, beside SMTP.

Three transports share one message builder and one :class:`~oauthmail.mailer.SendResult`:

=========== ============================ ==========================================================
transport   scope                        request
=========== ============================ ==========================================================
smtp        mail.google.com / SMTP.Send  XOAUTH2 on 587/465 (:mod:`oauthmail.mailer`)
graph       Graph ``Mail.Send``          ``POST {graph_url}/v1.0/me/sendMail`` (:mod:`.graph`)
gmail-api   ``gmail.send``               ``POST {gmail_api_url}/gmail/v1/users/me/messages/send``
=========== ============================ ==========================================================

Layers: pure helpers (:func:`resolve_transport`, :func:`api_base_url`), the transports
(:class:`~.graph.GraphTransport`, :class:`~.gmail_api.GmailApiTransport`, both a :class:`Transport`),
:class:`ApiSender` (INI + token + one refresh on ``401``), and the one-line :func:`send_via`.
Importing this package is cheap; ``requests`` loads when a message is sent.
"""

from __future__ import annotations

import time
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .. import providers, tokenfile
from ..errors import AuthenticationError, ConfigError, OAuthMailError
from ..i18n import Msg

if TYPE_CHECKING:
    import requests

    from ..mailer import SendResult
    from ..smtp import Transcript
    from ._http import RetryPolicy
    from .graph import ApiReply

UNKNOWN_TRANSPORT = Msg(
    en="Unknown transport {transport!r}.",
    ja="送信方法 {transport!r} は使えません。",
)
UNKNOWN_TRANSPORT_HINT = Msg(
    en="Use one of: smtp, graph (Microsoft Graph), gmail-api (Gmail API).",
    ja="smtp、graph（Microsoft Graph）、gmail-api（Gmail API）のいずれかを指定してください。",
)
WRONG_PROVIDER = Msg(
    en="The {transport} transport needs a {needed} account; {account} is a {provider} account.",
    ja="送信方法 {transport} には {needed} のアカウントが必要ですが、{account} は {provider} のアカウントです。",
)
WRONG_PROVIDER_HINT = Msg(
    en="Microsoft accounts send with --transport graph (or smtp); Google accounts with --transport gmail-api (or smtp).",
    ja="Microsoft のアカウントは --transport graph（または smtp）、Google のアカウントは --transport gmail-api"
    "（または smtp）で送ってください。",
)
BAD_API_URL = Msg(
    en="The API address {url!r} is not an https:// address.",
    ja="API のアドレス {url!r} が https:// で始まっていません。",
)
BAD_API_URL_HINT = Msg(
    en="Give the service's base address, e.g. https://graph.microsoft.com or https://gmail.googleapis.com "
    "(graph_url / gmail_api_url in the INI, or --api-url).",
    ja="サービスの基本アドレスを指定してください（例: https://graph.microsoft.com、https://gmail.googleapis.com。"
    "INI の graph_url／gmail_api_url、または --api-url）。",
)

BAD_API_PATH = Msg(
    en="The API address {url!r} has a path the kit does not expect.",
    ja="API のアドレス {url!r} のパスは想定外です。",
)
BAD_API_PATH_HINT = Msg(
    en="Give {expected} (graph_url / gmail_api_url in the INI, or --api-url); the kit adds the rest of the path.",
    ja="次の形で指定してください: {expected}（INI の graph_url／gmail_api_url、または --api-url）。"
    "残りのパスはキットが付け足します。",
)

HTTPS_TRANSPORTS = ("graph", "gmail-api")
_NEEDS = {"graph": "microsoft", "gmail-api": "google"}
_PROVIDER_LABEL = {"microsoft": "Microsoft", "google": "Google"}


class Transport(Protocol):
    """What :class:`ApiSender` needs from an HTTPS transport."""

    name: str

    def send(self, msg: Message, token: str, *, signed_in: str) -> ApiReply: ...


# --- small pure helpers ----------------------------------------------------------------------------


def resolve_transport(acc: tokenfile.Account, override: str | None = None) -> str:
    """The flag, else the INI's ``transport``, else ``smtp``; checked against the account's provider."""
    chosen = (override or acc.transport or "smtp").strip().lower()
    if chosen not in providers.TRANSPORTS:
        raise ConfigError(UNKNOWN_TRANSPORT, UNKNOWN_TRANSPORT_HINT, transport=chosen[:40], code="unknown_transport")
    needed = _NEEDS.get(chosen)
    if needed and acc.provider != needed:
        raise ConfigError(WRONG_PROVIDER, WRONG_PROVIDER_HINT, transport=chosen, needed=_PROVIDER_LABEL[needed],
                          account=acc.email, provider=_PROVIDER_LABEL.get(acc.provider, acc.provider),
                          code="transport_provider")
    return chosen


def api_base_url(acc: tokenfile.Account, transport: str, override: str | None = None) -> str:
    """``--api-url``, else the INI's ``graph_url``/``gmail_api_url``, else the provider's (the cloud's Graph)."""
    if override:
        url = override
    elif transport == "graph":
        url = acc.graph_url or providers.microsoft_cloud_for_authority(acc.authority).graph_url
    else:
        url = acc.gmail_api_url or providers.GMAIL_API_URL
    url = url.strip().rstrip("/")
    if not url.lower().startswith("https://") or len(url) <= len("https://"):
        raise ConfigError(BAD_API_URL, BAD_API_URL_HINT, url=url[:100], code="bad_api_url")
    return normalize_api_url(transport, url)


def normalize_api_url(transport: str, url: str) -> str:
    """The one form the transports use: the origin (``/beta`` kept for Graph beta), from either form.

    ``https://graph.microsoft.com/v1.0`` → ``https://graph.microsoft.com``; ``…/beta`` stays;
    ``https://gmail.googleapis.com/gmail/v1`` → ``https://gmail.googleapis.com``. A path that is
    neither form raises :class:`ConfigError` naming the forms expected.
    """
    split = providers.split_api_url(transport, url)
    if split is None:
        raise ConfigError(BAD_API_PATH, BAD_API_PATH_HINT, url=url[:100], expected=providers.API_URL_FORMS.get(
            transport, providers.API_URL_FORMS["graph"]), code="bad_api_url")
    origin, version = split
    return f"{origin}/beta" if version == "beta" else origin


def api_root(transport: str, base_url: str) -> str:
    """Where the API's paths start: ``{origin}/v1.0`` or ``{origin}/beta`` (Graph), ``{origin}`` (Gmail)."""
    split = providers.split_api_url(transport, base_url.rstrip("/"))
    if split is None:  # a transport built by hand with an odd base: say what was expected
        normalize_api_url(transport, base_url)
        raise AssertionError("unreachable")
    origin, version = split
    return f"{origin}/{version}" if transport == "graph" else origin


def make_transport(transport: str, base_url: str, *, timeout: float = 30, retry: RetryPolicy | None = None,
                   session: requests.Session | None = None, transcript: Transcript | None = None,
                   sleep: Any = None) -> Transport:
    """A :class:`Transport` for ``graph`` or ``gmail-api`` with its own HTTP client."""
    from ._http import ApiClient

    extra: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
    if transport == "graph":
        from .graph import SERVICE, GraphTransport

        return GraphTransport(base_url, ApiClient(SERVICE, timeout=timeout, retry=retry, session=session,
                                                  transcript=transcript, **extra))
    if transport == "gmail-api":
        from .gmail_api import SERVICE as GMAIL
        from .gmail_api import GmailApiTransport

        return GmailApiTransport(base_url, ApiClient(GMAIL, timeout=timeout, retry=retry, session=session,
                                                     transcript=transcript, **extra))
    raise ConfigError(UNKNOWN_TRANSPORT, UNKNOWN_TRANSPORT_HINT, transport=str(transport)[:40],
                      code="unknown_transport")


# --- the stateful object ---------------------------------------------------------------------------


class ApiSender:
    """One account sending over HTTPS: its token from the INI, one refresh and retry on a ``401``.

    The rule matches SMTP's ``535``: a *cached* token that is refused may be stale (revoked early,
    or cached for the other Microsoft resource), so it is refreshed once; a fresh token that is
    refused is reported.
    """

    def __init__(self, ini: str | Path, account: str | None = None, *, transport: str | None = None,
                 api_url: str | None = None, timeout: float = 30, retry: RetryPolicy | None = None,
                 transcript: Transcript | None = None, session: requests.Session | None = None,
                 sleep: Any = None) -> None:
        self.ini = ini
        self.account_name = account
        self.transport_override = transport
        self.api_url = api_url
        self.timeout = timeout
        self.retry = retry
        self.transcript = transcript
        self.session = session
        self.sleep = sleep
        self.token_refreshed = False
        self.account: tokenfile.Account | None = None
        self._token: Any = None  # kept for the sender's life (a batch on another transport refreshes once)

    def send(self, msg: Message) -> tuple[ApiReply, tokenfile.Account, str, str]:
        """Send one message; returns (reply, account, transport, base URL)."""
        from ..message import NO_RECIPIENT, NO_RECIPIENT_HINT, recipients
        from ..tokens import access_token_and_account

        acc = tokenfile.read(self.ini).account(self.account_name)
        transport = resolve_transport(acc, self.transport_override)
        if transport == "smtp":
            raise ConfigError(UNKNOWN_TRANSPORT, UNKNOWN_TRANSPORT_HINT, transport="smtp", code="unknown_transport")
        base = api_base_url(acc, transport, self.api_url)
        if not recipients(msg):
            raise ConfigError(NO_RECIPIENT, NO_RECIPIENT_HINT, code="no_recipient")
        if not msg.get("From"):
            msg["From"] = acc.email
        if not msg.get("Message-ID"):
            from email.utils import make_msgid

            msg["Message-ID"] = make_msgid(domain=acc.email.rpartition("@")[2])
        t = self.transcript
        if self._token is not None and self._token.seconds_left() > 300 and self.account is not None:
            token, acc = self._token, self.account
        else:
            token, acc = access_token_and_account(self.ini, acc.email, timeout=self.timeout, transport=transport)
        self._token, self.account = token, acc
        self.token_refreshed = self.token_refreshed or token.refreshed
        if t is not None:
            t.add_secret(token.token, acc.refresh_token, acc.client_secret)
            t.note(f"{transport}: {base} as {acc.email} ({'fresh' if token.refreshed else 'cached'} token)")
        sender = make_transport(transport, base, timeout=self.timeout, retry=self.retry, session=self.session,
                                transcript=t, sleep=self.sleep)
        try:
            try:
                reply = sender.send(msg, token.token, signed_in=acc.email)
            except AuthenticationError as exc:
                if token.refreshed or exc.params.get("status") != 401:
                    raise
                if t is not None:
                    t.note("the API refused a cached token: refreshing it once and trying again")
                token, acc = access_token_and_account(self.ini, acc.email, force_refresh=True, timeout=self.timeout,
                                                      transport=transport)
                self._token, self.account, self.token_refreshed = token, acc, True
                if t is not None:
                    t.add_secret(token.token, acc.refresh_token)
                reply = sender.send(msg, token.token, signed_in=acc.email)
        finally:
            client = getattr(sender, "client", None)
            if client is not None:
                client.close()
        return reply, acc, transport, base


# --- the one-line call -----------------------------------------------------------------------------


def send_via(transport: str, ini: str | Path, message: Message, *, account: str | None = None,
             api_url: str | None = None, timeout: float = 30, transcript: Transcript | None = None,
             retry: RetryPolicy | None = None) -> SendResult:
    """Send ``message`` with the INI's account over ``graph`` or ``gmail-api``; a :class:`SendResult` back."""
    from urllib.parse import urlsplit

    from ..mailer import SendResult
    from ..message import recipients, sender_address
    from ..smtp import Transcript as _Transcript

    t0 = time.perf_counter()
    t = transcript if transcript is not None else _Transcript()
    sender = ApiSender(ini, account, transport=transport, api_url=api_url, timeout=timeout, retry=retry,
                       transcript=t)
    try:
        reply, acc, chosen, base = sender.send(message)
    except OAuthMailError as exc:
        exc.transcript = t.text()  # type: ignore[attr-defined]
        raise
    parts = urlsplit(base)
    warnings: list[str] = []
    from_addr = sender_address(message)
    if chosen == "gmail-api" and from_addr and from_addr.lower() != acc.email.lower():
        from ..mailer import GMAIL_FROM_REWRITE

        warnings.append(GMAIL_FROM_REWRITE(sender=from_addr, user=acc.email))
    return SendResult(True, reply.message_id, recipients(message), {}, t.text(), acc.email, parts.hostname or "",
                      parts.port or 443, "https", time.perf_counter() - t0, transport=chosen,
                      token_refreshed=sender.token_refreshed, warnings=warnings)


__all__ = [
    "HTTPS_TRANSPORTS",
    "ApiSender",
    "Transport",
    "api_base_url",
    "make_transport",
    "resolve_transport",
    "send_via",
]
