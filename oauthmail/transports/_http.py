"""What both HTTPS transports share: retries on 429/503, error translation, network failures.

Why one place: Graph and the Gmail API answer throttling the same way (``429``/``503`` with
``Retry-After``), fail the same way on the network (proxy, corporate TLS inspection, time-outs)
and must never let a bearer token into a message. ``requests`` is used because it honours
``HTTPS_PROXY``/``NO_PROXY`` and ``REQUESTS_CA_BUNDLE`` the way people expect.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from ..errors import AuthenticationError, DeliveryError, NetworkError, OAuthMailError
from ..i18n import Msg
from ..secrets import redact

if TYPE_CHECKING:
    import requests

    from ..smtp import Transcript

API_REFUSED = Msg(
    en="{service} refused the message (HTTP {status} {code}): {reply}",
    ja="{service} がメッセージを受け付けませんでした（HTTP {status} {code}）: {reply}",
)
API_REFUSED_HINT = Msg(
    en="Run `oauthmail explain \"{code}\"` or `oauthmail doctor --ini FILE`; check the account's transport, scopes "
    "and API address (graph_url / gmail_api_url, --api-url).",
    ja="`oauthmail explain \"{code}\"` または `oauthmail doctor --ini ファイル` で確認してください。アカウントの"
    "送信方法（transport）・スコープ・API のアドレス（graph_url／gmail_api_url、--api-url）も確認してください。",
)
API_UNREACHABLE = Msg(
    en="{url} could not be reached over HTTPS ({reason}).",
    ja="{url} に HTTPS で接続できませんでした（{reason}）。",
)
API_UNREACHABLE_HINT = Msg(
    en="Check that this computer is online and can open {url} (port 443); behind a proxy set HTTPS_PROXY (or NO_PROXY "
    "for this host); check graph_url / gmail_api_url or --api-url. With the sandbox, check that it is running.",
    ja="このコンピューターがネットにつながり {url}（443 番ポート）を開けるか確認してください。プロキシ環境では "
    "HTTPS_PROXY（このホストを除外するなら NO_PROXY）を設定してください。graph_url／gmail_api_url や --api-url も"
    "確認してください。サンドボックスなら起動しているか確認してください。",
)
API_PROXY = Msg(
    en="The proxy refused or failed the connection to {url} ({reason}).",
    ja="プロキシ経由で {url} に接続できませんでした（{reason}）。",
)
API_PROXY_HINT = Msg(
    en="Check HTTPS_PROXY (address, port, user and password) or add this host to NO_PROXY; ask IT whether the proxy "
    "allows {url}.",
    ja="HTTPS_PROXY（アドレス・ポート・ユーザー・パスワード）を確認するか、このホストを NO_PROXY に加えてください。"
    "プロキシが {url} を許可しているか情報システム部門に確認してください。",
)
API_CERT = Msg(
    en="The server {url} presented a certificate this computer does not trust.",
    ja="接続先 {url} のサーバー証明書を、このコンピューターは信頼できませんでした。",
)
API_CERT_HINT = Msg(
    en="Usually corporate TLS inspection: ask IT for the company CA certificate (PEM) and point REQUESTS_CA_BUNDLE "
    "(and SSL_CERT_FILE) at it; with the sandbox use the ca_file from sandbox.json.",
    ja="多くは会社の TLS 検査が原因です。情報システム部門に社内 CA 証明書（PEM 形式）をもらい、REQUESTS_CA_BUNDLE"
    "（と SSL_CERT_FILE）にそのパスを設定してください。サンドボックスなら sandbox.json の ca_file を指定します。",
)
API_TIMED_OUT = Msg(
    en="{url} did not answer within {timeout} seconds; the message was not sent.",
    ja="{url} が {timeout} 秒以内に応答しませんでした。メッセージは送信されていません。",
)
API_TIMED_OUT_HINT = Msg(
    en="Check the network, proxy (HTTPS_PROXY) and firewall for port 443, then try again or raise --timeout.",
    ja="ネットワーク・プロキシ（HTTPS_PROXY）・ファイアウォールで 443 番ポートが通るか確認し、やり直すか "
    "--timeout を長くしてください。",
)
API_UNKNOWN = Msg(
    en="The connection to {url} ended after the message was sent and before {service} answered; it may or may not "
    "have been delivered.",
    ja="メッセージを送った後、{service} の応答を受け取る前に {url} との接続が切れました。届いたかどうかは分かりません。",
)
API_UNKNOWN_HINT = Msg(
    en="It was not sent again, to avoid a duplicate. Check the Sent folder (or the recipient) before sending again.",
    ja="二重送信を避けるため、再送はしていません。もう一度送る前に、送信済みフォルダー（または受信側）を確認してください。",
)
THROTTLED = Msg(
    en="{service} is limiting requests (HTTP {status}); after {attempts} tries and {waited} s of waiting the kit "
    "stopped. The server asked to wait {retry_after} s more.",
    ja="{service} が要求数を制限しています（HTTP {status}）。{attempts} 回試し、合計 {waited} 秒待ったところで"
    "止めました。サーバーはあと {retry_after} 秒待つよう求めています。",
)
THROTTLED_HINT = Msg(
    en="Wait at least {retry_after} seconds and send again; for many messages, send more slowly (Microsoft 365 "
    "allows about 30 messages a minute per mailbox; Gmail has a daily sending limit).",
    ja="{retry_after} 秒以上待ってから送り直してください。大量に送るときは間隔を空けてください（Microsoft 365 は"
    "メールボックスあたり毎分約 30 通、Gmail には 1 日の送信上限があります）。",
)

#: Statuses that mean "not processed, try later" (the request did not send anything).
RETRY_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """How long the kit waits on 429/503 before giving up (a cap, so a notebook never hangs)."""

    max_retries: int = 3
    #: The longest single wait; a Retry-After above it ends the retries at once.
    max_wait: float = 60.0
    #: The wait when the server gives no Retry-After (doubled per try).
    default_wait: float = 1.0


# --- small pure helpers ----------------------------------------------------------------------------


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: ``"5"`` → 5.0, an HTTP date → seconds from ``now``; junk → None."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN / inf
        return None
    return max(0.0, seconds)


def wait_before_retry(attempt: int, retry_after: float | None, policy: RetryPolicy) -> float | None:
    """Seconds to wait before try ``attempt + 1``, or None to stop (too many tries, or asked to wait too long)."""
    if attempt >= policy.max_retries:
        return None
    wait = retry_after if retry_after is not None else policy.default_wait * (2 ** attempt)
    if wait > policy.max_wait:
        return None
    return wait


def error_text(status: int, body: bytes | str) -> tuple[str, str, str]:
    """``(code, message, text)`` of an API error body (Graph's or Google's JSON shape, or plain text).

    ``code`` is Graph's ``error.code`` or Google's most telling reason (``ACCESS_TOKEN_SCOPE_INSUFFICIENT``,
    ``insufficientPermissions``, ``failedPrecondition``…); ``text`` is what the catalog reads.
    """
    raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        data: Any = json.loads(raw) if raw.strip() else {}
    except ValueError:
        data = {}
    err = data.get("error") if isinstance(data, dict) else None
    code, message, reasons = "", "", []
    if isinstance(err, dict):
        message = str(err.get("message") or "")
        if isinstance(err.get("code"), str):
            code = str(err["code"])
        inner = err.get("innerError") or err.get("innererror")
        for item in err.get("errors") or []:
            if isinstance(item, dict) and item.get("reason"):
                reasons.append(str(item["reason"]))
        for item in err.get("details") or []:
            if isinstance(item, dict) and item.get("reason"):
                reasons.insert(0, str(item["reason"]))
        if err.get("status"):
            reasons.append(str(err["status"]))
        if not code and reasons:
            code = reasons[0]
        if isinstance(inner, dict) and inner.get("code") and not code:
            code = str(inner["code"])
    elif isinstance(err, str):
        code, message = err, str(data.get("error_description") or "")
    else:
        message = raw.strip()[:300]
    parts = [f"HTTP {status}", code, *[r for r in reasons if r != code], message]
    return code, message, " ".join(p for p in parts if p)


def api_error(status: int, body: bytes | str, *, service: str, url: str, secrets: Iterable[str | None] = (),
              retry_after: float | None = None, attempts: int = 1, waited: float = 0.0) -> OAuthMailError:
    """An HTTP error reply as the kit's exception: the catalog's what/fix, else a generic one (no secret in it)."""
    from ..explain import error_for

    code, _message, text = error_text(status, body)
    clean = redact(text, secrets)[:600]
    params: dict[str, Any] = {"service": service, "url": url, "status": status,
                              "retry_after": f"{retry_after:g}" if retry_after is not None else "?",
                              "attempts": attempts, "waited": f"{waited:g}"}
    if status in RETRY_STATUSES:
        return DeliveryError(THROTTLED, THROTTLED_HINT, code=f"HTTP {status}", details=clean, **params)
    found = error_for(clean, DeliveryError, **params)
    if found is not None and found.code:
        return found
    cls: type[OAuthMailError] = AuthenticationError if status in (401, 403) else DeliveryError
    return cls(API_REFUSED, API_REFUSED_HINT, code=code or f"HTTP {status}", details=clean,
               reply=redact(_message or text, secrets)[:300], **params)


def network_failure(exc: BaseException, url: str, service: str, *, timeout: float, sent: bool,
                    secrets: Iterable[str | None] = ()) -> OAuthMailError:
    """A requests failure as a :class:`NetworkError`; ``sent``: the request body may have reached the server."""
    import requests

    chain: list[BaseException] = []
    e: BaseException | None = exc
    while e is not None and len(chain) < 10:
        chain.append(e)
        e = e.__cause__ or e.__context__
    text = " ".join(str(x) for x in chain)
    reason = re.sub(r"://[^/@\s]+@", "://", redact(str(chain[-1]), secrets))[:200] or type(chain[-1]).__name__
    if any(isinstance(x, requests.exceptions.SSLError) for x in chain) or "CERTIFICATE_VERIFY_FAILED" in text:
        return NetworkError(API_CERT, API_CERT_HINT, url=url, code="tls_verify")
    if any(isinstance(x, requests.exceptions.ProxyError) for x in chain):
        return NetworkError(API_PROXY, API_PROXY_HINT, url=url, reason=reason, code="proxy")
    if any(isinstance(x, requests.exceptions.ConnectTimeout) for x in chain):
        return NetworkError(API_TIMED_OUT, API_TIMED_OUT_HINT, url=url, timeout=f"{timeout:g}", code="timeout")
    connect_failed = any(isinstance(x, requests.exceptions.ConnectionError) for x in chain) and (
        "NewConnectionError" in text or "Failed to resolve" in text or "Connection refused" in text
        or "Name or service not known" in text)
    if sent and not connect_failed:
        return NetworkError(API_UNKNOWN, API_UNKNOWN_HINT, url=url, service=service, code="delivery_unknown")
    if any(isinstance(x, requests.exceptions.Timeout) for x in chain):
        return NetworkError(API_TIMED_OUT, API_TIMED_OUT_HINT, url=url, timeout=f"{timeout:g}", code="timeout")
    return NetworkError(API_UNREACHABLE, API_UNREACHABLE_HINT, url=url, reason=reason, code="api_unreachable")


def origin(url: str) -> str:
    """``https://host[:port]`` of a URL (what a message may show; never a query string)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def safe_path(url: str) -> str:
    """A URL without its query (upload URLs carry their own credential in it)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


# --- the stateful piece: one client with retries ---------------------------------------------------


class ApiClient:
    """One HTTPS API conversation: a requests session, a retry policy, a transcript, the secrets to hide."""

    def __init__(self, service: str, *, timeout: float = 30, retry: RetryPolicy | None = None,
                 session: requests.Session | None = None, transcript: Transcript | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        import requests

        from ..tls import requests_verify

        self.service = service
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._own_session = session is None
        self.session = session or requests.Session()
        if self._own_session:
            self.session.verify = requests_verify()
        self.transcript = transcript
        self.sleep = sleep
        self.secrets: list[str] = []
        #: How many HTTP requests went out and how long the kit waited on 429/503 (for results and tests).
        self.requests = 0
        self.waited = 0.0

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    def note(self, text: str) -> None:
        if self.transcript is not None:
            self.transcript.note(redact(text, self.secrets))

    def request(self, method: str, url: str, *, token: str | None = None, headers: dict[str, str] | None = None,
                data: bytes | None = None, json_body: Any = None, sends_mail: bool = False) -> requests.Response:
        """One call with retries on 429/503; returns any reply that is not a retryable one (or the last one).

        ``sends_mail``: a failure after the body left is reported as *unknown*, never retried.
        """
        import requests

        hdrs = dict(headers or {})
        if token:
            self.secrets.append(token)
            hdrs["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            data = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            hdrs.setdefault("Content-Type", "application/json; charset=utf-8")
        attempt = 0
        shown = safe_path(url)
        while True:
            t0 = time.perf_counter()
            self.requests += 1
            if self.transcript is not None:
                self.transcript.client(f"{method} {shown} ({hdrs.get('Content-Type', '-')}, {len(data or b'')} bytes)")
            try:
                resp = self.session.request(method, url, headers=hdrs, data=data, timeout=self.timeout,
                                            allow_redirects=False)
            except (requests.exceptions.RequestException, OSError) as exc:
                raise network_failure(exc, origin(url), self.service, timeout=self.timeout, sent=sends_mail,
                                      secrets=self.secrets) from None
            if self.transcript is not None:
                self.transcript.server(f"HTTP {resp.status_code} {resp.reason or ''} in "
                                       f"{time.perf_counter() - t0:.3f}s".rstrip())
            if resp.status_code not in RETRY_STATUSES:
                return resp
            after = retry_after_seconds(resp.headers.get("Retry-After"))
            wait = wait_before_retry(attempt, after, self.retry)
            if wait is None:
                return resp
            self.note(f"HTTP {resp.status_code}: waiting {wait:g} s as asked (Retry-After: "
                      f"{resp.headers.get('Retry-After', '-')}) before try {attempt + 2}")
            self.sleep(wait)
            self.waited += wait
            attempt += 1

    def fail(self, resp: requests.Response, url: str) -> OAuthMailError:
        """The exception for an error reply (after the retries)."""
        after = retry_after_seconds(resp.headers.get("Retry-After"))
        return api_error(resp.status_code, resp.content, service=self.service, url=origin(url), secrets=self.secrets,
                         retry_after=after, attempts=self.requests, waited=self.waited)
