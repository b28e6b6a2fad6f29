"""Preflight checks for one account of a token INI: each with a verdict, what was measured, and a fix.

The checks follow the path a message takes, so the first failure points at the broken link::

    ini → secret_expiry
    ini → dns → tcp → tls → ehlo ─────────────┐
    ini → token_endpoint → clock              ├→ smtp_auth (AUTH only; no message is sent)
          token_endpoint → refresh ───────────┘

A check whose prerequisite did not pass is skipped with the reason. Fixes come from the error the
kit raised (which already carries the catalog's advice) or from this module's messages. The token
endpoint is probed with an empty grant (no secret sent); the refresh check then stores the new
access token — and Microsoft's rotated refresh token — in the INI, exactly as a send would.

Usage::

    report = run_doctor("oauthmail.ini")
    report.ok, [c.to_dict("ja") for c in report.checks]
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from . import tokenfile
from .errors import OAuthMailError
from .i18n import Msg
from .i18n.labels import provider_name, transport_name
from .secrets import redact

PASS, WARN, FAIL, SKIP = "pass", "warn", "fail", "skip"
MARKS = {PASS: "✔", WARN: "⚠", FAIL: "✖", SKIP: "-"}

#: Check ids in the order they run, and what each needs to have passed (warn counts as passed).
ORDER = ("ini", "secret_expiry", "dns", "tcp", "tls", "ehlo", "token_endpoint", "clock", "refresh", "smtp_auth",
         "api")
NEEDS: dict[str, tuple[str, ...]] = {
    "secret_expiry": ("ini",),
    "dns": ("ini",),
    "tcp": ("dns",),
    "tls": ("tcp",),
    "ehlo": ("tls",),
    "token_endpoint": ("ini",),
    "clock": ("token_endpoint",),
    "refresh": ("token_endpoint",),
    "smtp_auth": ("ehlo", "refresh"),
    "api": ("refresh",),
    "record": ("ini",),
}
SMTP_CHECKS = ("dns", "tcp", "tls", "ehlo", "smtp_auth")

#: Clock skew above these many seconds gives a warning / a failure.
SKEW_WARN = 60.0
SKEW_FAIL = 300.0
#: A client secret expiring within this many days gives a warning.
SECRET_WARN_DAYS = 30

TITLES: dict[str, Msg] = {
    "ini": Msg(en="Token INI valid and private", ja="トークン INI の形式と権限"),
    "secret_expiry": Msg(en="Client secret expiry", ja="クライアント シークレットの有効期限"),
    "dns": Msg(en="DNS of the SMTP host", ja="SMTP ホストの名前解決（DNS）"),
    "tcp": Msg(en="TCP to the SMTP port", ja="SMTP ポートへの TCP 接続"),
    "tls": Msg(en="TLS handshake and certificate", ja="TLS ハンドシェイクと証明書"),
    "ehlo": Msg(en="Server offers AUTH XOAUTH2/OAUTHBEARER", ja="サーバーが AUTH XOAUTH2／OAUTHBEARER に対応"),
    "token_endpoint": Msg(en="Token endpoint reachable", ja="トークン エンドポイントへの到達"),
    "clock": Msg(en="Clock skew", ja="時計のずれ"),
    "refresh": Msg(en="Refresh token works", ja="リフレッシュ トークンでの更新"),
    "smtp_auth": Msg(en="SMTP AUTH with the token (no message sent)", ja="トークンでの SMTP 認証（送信はしません）"),
    "record": Msg(en="Same as the recorded setup", ja="記録した設定との一致"),
    "api": Msg(en="HTTPS API accepts the token (no message sent)", ja="HTTPS の API がトークンを受け付けるか（送信はしません）"),
}

SKIPPED_NEEDS = Msg(en="skipped: needs “{needed}” to pass first", ja="スキップ: 先に「{needed}」が成功する必要があります")
SKIPPED_GRAPH = Msg(en="skipped: this account sends through Microsoft Graph, not SMTP",
                    ja="スキップ: このアカウントは SMTP ではなく Microsoft Graph で送信します")
D_INI_OK = Msg(en="{path}: account {account} ({provider})", ja="{path}: アカウント {account}（{provider}）")
D_SECRET_UNKNOWN = Msg(en="no expiry recorded (client_secret_expires_at)",
                       ja="有効期限が記録されていません（client_secret_expires_at）")
D_SECRET_GOOGLE = Msg(en="Google client secrets have no expiry date", ja="Google のクライアント シークレットには有効期限がありません")
D_SECRET_NONE = Msg(en="no client secret (public client)", ja="クライアント シークレットなし（パブリック クライアント）")
D_SECRET_DAYS = Msg(en="expires {when} (in {days} days)", ja="{when} に失効（あと {days} 日）")
D_SECRET_EXPIRED = Msg(en="expired {when} ({days} days ago)", ja="{when} に失効済み（{days} 日前）")
D_SECRET_BAD = Msg(en="client_secret_expires_at = {value} is not a date", ja="client_secret_expires_at = {value} は日付ではありません")
D_DNS = Msg(en="{host} → {addresses} ({ms} ms)", ja="{host} のアドレス: {addresses}（{ms} ミリ秒）")
D_TCP = Msg(en="{where} accepted the connection ({ms} ms)", ja="{where} が接続を受け付けました（{ms} ミリ秒）")
D_TLS = Msg(en="{version}, certificate for {subject} issued by {issuer}, valid until {until}",
            ja="{version}、{subject} 向けの証明書（発行者 {issuer}）、有効期限 {until}")
D_EHLO = Msg(en="AUTH {offered}; using {mechanism}", ja="対応する AUTH: {offered}。{mechanism} を使用")
D_ENDPOINT = Msg(en="{url} answered HTTP {status} ({ms} ms{via})", ja="{url} が HTTP {status} で応答（{ms} ミリ秒{via}）")
D_CLOCK = Msg(en="local clock is {skew} s {direction} the server's", ja="このコンピューターの時計はサーバーより {skew} 秒{direction}")
D_CLOCK_SYNC = Msg(en="local clock matches the server's (within {skew} s)", ja="このコンピューターの時計はサーバーと一致（誤差 {skew} 秒以内）")
D_CLOCK_NO_DATE = Msg(en="the token endpoint sent no Date header", ja="トークン エンドポイントが Date ヘッダーを返しませんでした")
D_REFRESH = Msg(en="new access token valid for {minutes} min; scopes: {scopes}",
                ja="新しいアクセス トークンを取得（有効期間 {minutes} 分）。スコープ: {scopes}")
D_API = Msg(en="{where} ({transport}) accepts the token; an empty request was refused as expected",
            ja="{where}（{transport}）がトークンを受け付けました。空の要求は想定どおり拒否されました")
SKIPPED_HTTPS = Msg(en="skipped: this account sends over HTTPS ({transport}), not SMTP",
                    ja="スキップ: このアカウントは SMTP ではなく HTTPS（{transport}）で送信します")
D_AUTH = Msg(en="{where}: {code} (authenticated)", ja="{where}: 認証に成功（応答コード {code}）")
D_RECORD_SAME = Msg(en="nothing changed since the record of {when}", ja="{when} の記録から変更はありません")
D_RECORD_CHANGED = Msg(en="changed since {when}: {changes}", ja="{when} の記録から変更あり: {changes}")
W_AHEAD = Msg(en="ahead of", ja="進んでいます")
W_BEHIND = Msg(en="behind", ja="遅れています")

FIX_PRIVATE = Msg(
    en="Only you should be able to read the token INI: run `chmod 600 {path}`.",
    ja="トークン INI は本人だけが読めるようにしてください: `chmod 600 {path}` を実行します。",
)
FIX_SECRET_RENEW = Msg(
    en="Create a new client secret before it expires (Entra admin center → App registrations → your app → "
    "Certificates & secrets), put its Value in client_secret and its expiry in client_secret_expires_at.",
    ja="失効する前に新しいクライアント シークレットを作成し（Microsoft Entra 管理センター →「Entra ID」→「アプリの登録」→ 対象のアプリ →"
    "「証明書とシークレット」）、「値」を client_secret に、有効期限を client_secret_expires_at に書いてください。",
)
FIX_SECRET_DATE = Msg(
    en="Write the expiry shown in the portal as 2026-11-21T00:00:00Z (or remove the line).",
    ja="ポータルに表示された有効期限を 2026-11-21T00:00:00Z の形で書いてください（または行を削除）。",
)
FIX_ENDPOINT_5XX = Msg(
    en="The provider's token service has a problem (HTTP {status}). Wait a few minutes and run the doctor again; "
    "check the provider's status page if it persists.",
    ja="プロバイダーのトークン サービスに問題があります（HTTP {status}）。数分待ってから doctor を再実行し、続く場合は"
    "プロバイダーの稼働状況ページを確認してください。",
)
FIX_ENDPOINT_404 = Msg(
    en="The token URL is wrong (HTTP 404). Set token_uri = https://oauth2.googleapis.com/token (Google) or "
    "authority = https://login.microsoftonline.com/<tenant ID> (Microsoft) in the INI.",
    ja="トークン エンドポイントのアドレスが間違っています（HTTP 404）。INI に token_uri = https://oauth2.googleapis.com/token（Google）"
    "または authority = https://login.microsoftonline.com/<テナント ID>（Microsoft）を設定してください。",
)
FIX_CLOCK = Msg(
    en="Set the computer's clock automatically (Windows: Settings → Time & language → Set time automatically; "
    "Linux: timedatectl set-ntp true). Tokens and certificates are checked against the time.",
    ja="コンピューターの時計を自動設定にしてください（Windows:「設定」→「時刻と言語」→「時刻を自動的に設定する」、"
    "Linux: timedatectl set-ntp true）。トークンや証明書は時刻で検証されます。",
)
FIX_SCOPE_GOOGLE = Msg(
    en="The token lacks https://mail.google.com/, which SMTP needs. Run the consent step again and leave every box "
    "ticked.",
    ja="トークンに SMTP に必要な https://mail.google.com/ がありません。同意の手順をやり直し、チェックはすべて付けた"
    "ままにしてください。",
)
FIX_SCOPE_MICROSOFT = Msg(
    en="The token lacks https://outlook.office.com/SMTP.Send: Microsoft Graph's Mail.Send only works for sending "
    "through Graph. Run the consent step again asking for SMTP.Send (an admin may have to approve it), or set "
    "transport = graph.",
    ja="トークンに https://outlook.office.com/SMTP.Send がありません。Microsoft Graph の Mail.Send は Graph 経由の"
    "送信にしか使えません。SMTP.Send を要求して同意の手順をやり直す（管理者の承認が必要な場合があります）か、"
    "transport = graph にしてください。",
)
FIX_RECORD = Msg(
    en="If the change was intended, write a new record (`oauthmail record --ini FILE --out FILE.json`); if not, "
    "restore the INI from the recorded values.",
    ja="意図した変更なら新しい記録を書いてください（`oauthmail record --ini ファイル --out ファイル.json`）。"
    "意図しないものなら、記録の値に INI を戻してください。",
)
D_NO_AUTH = Msg(en="the server offers AUTH {offered}, not {mechanism}", ja="サーバーの AUTH は {offered} で、{mechanism} がありません")
FIX_NO_AUTH = Msg(
    en="Check smtp_host and smtp_port (smtp.gmail.com / smtp.office365.com, 587) and set sasl_mechanism to one the "
    "server offers (Microsoft only offers XOAUTH2).",
    ja="smtp_host と smtp_port（smtp.gmail.com／smtp.office365.com、587）を確認し、sasl_mechanism をサーバーが"
    "対応しているもの（Microsoft は XOAUTH2 のみ）にしてください。",
)
D_RAW = Msg(en="{text}", ja="{text}")

SUMMARY_OK = Msg(en="All checks passed.", ja="すべての診断項目に合格しました。")
SUMMARY_WARN = Msg(en="Passed with {n} warning(s).", ja="合格（警告 {n} 件）。")
SUMMARY_FAIL = Msg(en="{n} check(s) failed. Start with the first ✖ above.",
                   ja="{n} 件の診断項目が失敗しました。上の最初の ✖ から対処してください。")
L_FIX = Msg(en="fix", ja="対処")


# --- results ----------------------------------------------------------------------------------------


@dataclass
class Check:
    """One verdict: what was checked, what was measured, and what to do."""

    id: str
    status: str
    detail: Msg = D_RAW
    fix: Msg | None = None
    params: dict[str, Any] = field(default_factory=dict)
    code: str | None = None
    elapsed: float = 0.0
    #: Raw, already-masked text from the other side (server reply) for the curious.
    raw: str | None = None

    @property
    def title(self) -> Msg:
        return TITLES.get(self.id, D_RAW)

    def params_in(self, lang: str | None) -> dict[str, Any]:
        """Parameters with any :class:`Msg` among them (a check title, a direction) in ``lang``."""
        return {k: v.format(lang) if isinstance(v, Msg) else v for k, v in self.params.items()}

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        params = self.params_in(lang)
        return {
            "id": self.id,
            "title": self.title.format(lang, text=self.id),
            "status": self.status,
            "detail": self.detail.format(lang, **params),
            "fix": self.fix.format(lang, **params) if self.fix else None,
            "code": self.code,
            "elapsed_ms": round(self.elapsed * 1000),
            "raw": self.raw,
        }


@dataclass
class DoctorReport:
    """All verdicts for one account; ``ok`` when nothing failed (warnings allowed)."""

    ini: str
    account: str
    checks: list[Check] = field(default_factory=list)
    started_at: str = ""
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.status != FAIL for c in self.checks)

    def get(self, check_id: str) -> Check | None:
        return next((c for c in self.checks if c.id == check_id), None)

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        return {
            "ini": self.ini,
            "account": self.account,
            "ok": self.ok,
            "started_at": self.started_at,
            "elapsed_ms": round(self.elapsed * 1000),
            "checks": [c.to_dict(lang) for c in self.checks],
        }


# --- small pure helpers -----------------------------------------------------------------------------


def from_error(check_id: str, exc: OAuthMailError, elapsed: float = 0.0, status: str = FAIL) -> Check:
    """A failed check carrying the error's what (as detail) and hint (as fix)."""
    return Check(check_id, status, detail=exc.what_msg, fix=exc.hint_msg, params=exc.text_params(),
                 code=exc.code, elapsed=elapsed, raw=exc.details)


def strip_userinfo(url: str) -> str:
    """A proxy URL without ``user:password@`` (proxy credentials never reach output)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def clock_skew(date_header: str | None, now: datetime | None = None) -> float | None:
    """Local time minus the server's ``Date`` header, in seconds (``None`` when there is no header)."""
    if not date_header:
        return None
    try:
        server = parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return None
    if server.tzinfo is None:
        server = server.replace(tzinfo=timezone.utc)
    return ((now or datetime.now(timezone.utc)) - server).total_seconds()


def clock_check(skew: float | None, elapsed: float = 0.0) -> Check:
    """The verdict for a measured skew (the Date header has 1 s resolution; round trip adds a little)."""
    if skew is None:
        return Check("clock", WARN, detail=D_CLOCK_NO_DATE, elapsed=elapsed)
    params = {"skew": f"{abs(skew):.0f}", "direction": W_AHEAD if skew > 0 else W_BEHIND}
    status = FAIL if abs(skew) > SKEW_FAIL else WARN if abs(skew) > SKEW_WARN else PASS
    if abs(skew) < 2.5:  # the Date header has one-second resolution
        return Check("clock", PASS, detail=D_CLOCK_SYNC, params={"skew": "2"}, elapsed=elapsed)
    return Check("clock", status, detail=D_CLOCK, fix=FIX_CLOCK if status != PASS else None, params=params,
                 elapsed=elapsed)


def secret_expiry_check(acc: tokenfile.Account, now: datetime | None = None) -> Check:
    """The verdict for the client secret's recorded expiry (``client_secret_expires_at``)."""
    value = acc.extra.get("client_secret_expires_at", "").strip()
    if not acc.client_secret:
        return Check("secret_expiry", SKIP, detail=D_SECRET_NONE)
    if not value and acc.provider == "google":
        return Check("secret_expiry", SKIP, detail=D_SECRET_GOOGLE)  # only Entra's secrets run out
    if not value:
        return Check("secret_expiry", SKIP, detail=D_SECRET_UNKNOWN)
    try:
        when = tokenfile.parse_time(value)
    except (ValueError, OAuthMailError):
        return Check("secret_expiry", WARN, detail=D_SECRET_BAD, fix=FIX_SECRET_DATE, params={"value": value[:40]})
    days = (when - (now or datetime.now(timezone.utc))).total_seconds() / 86400
    shown = tokenfile.format_time(when)
    if days < 0:
        return Check("secret_expiry", FAIL, detail=D_SECRET_EXPIRED, fix=FIX_SECRET_RENEW,
                     params={"when": shown, "days": f"{-days:.0f}"}, code="AADSTS7000222")
    status = WARN if days < SECRET_WARN_DAYS else PASS
    return Check("secret_expiry", status, detail=D_SECRET_DAYS, fix=FIX_SECRET_RENEW if status == WARN else None,
                 params={"when": shown, "days": f"{days:.0f}"})


#: Replies to the probe that reveal a setup error before any secret is sent: the tenant in the authority does
#: not exist (AADSTS90002) or is malformed (AADSTS900023). The probe carries no client id, so an
#: "application not found" reply says nothing about the person's app and is not used.
_ENDPOINT_PROBLEMS = re.compile(r"AADSTS(90002|900023)\b")


def endpoint_problem(body: str) -> tuple[str, Any] | None:
    """``(code, catalog entry)`` when the token endpoint's reply to the probe points at a setup error."""
    from .explain import find

    m = _ENDPOINT_PROBLEMS.search(body or "")
    return (f"AADSTS{m.group(1)}", find("aadsts-700016")) if m else None


def scope_problem(provider: str, transport: str, scopes: Iterable[str]) -> Msg | None:
    """The fix when the granted scopes cannot send by SMTP (``None`` when they can, or are unknown)."""
    granted = [s for s in scopes if s]
    if not granted or transport != "smtp":
        return None
    if provider == "google":
        from .providers import GOOGLE_MAIL_SCOPE

        return None if GOOGLE_MAIL_SCOPE in granted else FIX_SCOPE_GOOGLE
    if provider == "microsoft":
        return None if any(s.lower().endswith("/smtp.send") or s.lower() == "smtp.send" for s in granted) \
            else FIX_SCOPE_MICROSOFT
    return None


def _cert_date(not_after: Any) -> str:
    """``Mar  6 00:56:11 2029 GMT`` (OpenSSL's form) as ``2029-03-06``; the raw text if it does not parse."""
    try:
        return datetime.fromtimestamp(ssl.cert_time_to_seconds(str(not_after)), timezone.utc).strftime("%Y-%m-%d")
    except (ValueError, TypeError):
        return str(not_after or "?")


def _cert_name(parts: Any, key: str = "commonName") -> str:
    for rdn in parts or ():
        for k, v in rdn:
            if k == key:
                return str(v)
    for rdn in parts or ():
        for k, v in rdn:
            if k == "organizationName":
                return str(v)
    return "?"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


# --- the stateful runner ------------------------------------------------------------------------------


class Doctor:
    """Runs the checks in order, keeping what later checks need (account, connection, token)."""

    def __init__(self, ini: str | Path, account: str | None = None, *, timeout: float = 10,
                 record: Any = None) -> None:
        self.ini = str(Path(ini).expanduser())
        self.account_name = account
        self.timeout = timeout
        self.record = record
        self.acc: tokenfile.Account | None = None
        self.tf: tokenfile.TokenFile | None = None
        self.settings: Any = None
        self.addresses: list[str] = []
        self.conn: smtplib.SMTP | None = None
        self.token: str | None = None
        self.date_header: str | None = None
        self.endpoint_elapsed = 0.0
        self.secrets: list[str] = []

    # each returns one Check -------------------------------------------------------------------------

    def check_ini(self) -> Check:
        try:
            self.tf = tokenfile.read(self.ini)
            self.acc = self.tf.account(self.account_name)
        except OAuthMailError as exc:
            return from_error("ini", exc)
        from .mailer import smtp_settings

        self.secrets = self.acc.secrets()
        self.settings = smtp_settings(self.acc)
        params = {"path": self.ini, "account": self.acc.email, "provider": provider_name(self.acc.provider)}
        if self.tf.warnings:
            return Check("ini", WARN, detail=D_INI_OK, fix=FIX_PRIVATE, params=params, raw=" ".join(self.tf.warnings),
                         code="ini_permissions")
        return Check("ini", PASS, detail=D_INI_OK, params=params)

    def check_secret_expiry(self) -> Check:
        assert self.acc is not None
        return secret_expiry_check(self.acc)

    def check_dns(self) -> Check:
        from .tls import network_error

        host, port = self.settings.host, self.settings.port
        t0 = time.monotonic()
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            return from_error("dns", network_error(exc, f"{host}:{port}", host), time.monotonic() - t0)
        elapsed = time.monotonic() - t0
        self.addresses = list(dict.fromkeys(str(i[4][0]) for i in infos))
        return Check("dns", PASS, detail=D_DNS, params={"host": host, "addresses": ", ".join(self.addresses[:4]),
                                                         "ms": _ms(elapsed)}, elapsed=elapsed)

    def check_tcp(self) -> Check:
        from .tls import network_error

        where = f"{self.settings.host}:{self.settings.port}"
        t0 = time.monotonic()
        try:
            sock = socket.create_connection((self.settings.host, self.settings.port), timeout=self.timeout)
            sock.close()
        except OSError as exc:
            return from_error("tcp", network_error(exc, where, self.settings.host, self.timeout),
                              time.monotonic() - t0)
        elapsed = time.monotonic() - t0
        return Check("tcp", PASS, detail=D_TCP, params={"where": where, "ms": _ms(elapsed)}, elapsed=elapsed)

    def check_tls(self) -> Check:
        from .smtp import connect
        from .tls import network_error

        host, port, security = self.settings.host, self.settings.port, self.settings.security
        where = f"{host}:{port}"
        t0 = time.monotonic()
        try:
            # The kit's own connect: greeting, EHLO, STARTTLS (or implicit TLS), EHLO — as a send would do.
            conn = connect(host, port, security, timeout=self.timeout)
        except OAuthMailError as exc:
            return from_error("tls", exc, time.monotonic() - t0)
        except (OSError, smtplib.SMTPException) as exc:
            return from_error("tls", network_error(exc, where, host, self.timeout), time.monotonic() - t0)
        elapsed = time.monotonic() - t0
        self.conn = conn
        sock = conn.sock
        cert: Any = sock.getpeercert() if isinstance(sock, ssl.SSLSocket) else None
        version = sock.version() if isinstance(sock, ssl.SSLSocket) else "?"
        params = {
            "version": version or "?",
            "subject": _cert_name((cert or {}).get("subject")),
            "issuer": _cert_name((cert or {}).get("issuer")),
            "until": _cert_date((cert or {}).get("notAfter")),
        }
        return Check("tls", PASS, detail=D_TLS, params=params, elapsed=elapsed)

    def check_ehlo(self) -> Check:
        assert self.conn is not None
        t0 = time.monotonic()
        offered = self.conn.esmtp_features.get("auth", "").upper().split()
        mech = self.settings.mechanism
        params = {"offered": " ".join(offered) or "-", "mechanism": mech}
        elapsed = time.monotonic() - t0
        if mech in offered:
            return Check("ehlo", PASS, detail=D_EHLO, params=params, elapsed=elapsed)
        return Check("ehlo", FAIL, detail=D_NO_AUTH, fix=FIX_NO_AUTH, params=params, code="no_mechanism",
                     elapsed=elapsed)

    def check_token_endpoint(self) -> Check:
        import requests

        from .tls import requests_verify
        from .tokens import _network_error, token_url

        assert self.acc is not None
        url = token_url(self.acc)
        proxies = requests.utils.get_environ_proxies(url)
        proxy = proxies.get("https") or proxies.get("all")
        via: Msg | str = (Msg(en=f", via proxy {strip_userinfo(proxy)}", ja=f"、プロキシ {strip_userinfo(proxy)} 経由")
                          if proxy else "")
        t0 = time.monotonic()
        try:
            # No secret is sent: an empty grant gets a 400 with a JSON error from a healthy endpoint.
            resp = requests.post(url, data={"grant_type": "oauthmail_doctor_probe"}, timeout=self.timeout,
                                 verify=requests_verify(), allow_redirects=False)
        except (requests.exceptions.RequestException, OSError) as exc:
            return from_error("token_endpoint", _network_error(exc, url, self.acc), time.monotonic() - t0)
        elapsed = self.endpoint_elapsed = time.monotonic() - t0
        self.date_header = resp.headers.get("Date")
        params = {"url": url, "status": resp.status_code, "ms": _ms(elapsed), "via": via}
        body = redact(resp.text[:2000], self.secrets)
        resp.close()
        problem = endpoint_problem(body)
        if problem is not None:  # e.g. AADSTS90002: the tenant in the authority does not exist
            code, entry = problem
            return Check("token_endpoint", FAIL, detail=entry.what, fix=entry.fix, params=params, code=code,
                         elapsed=elapsed, raw=body[:300])
        if resp.status_code >= 500:
            return Check("token_endpoint", FAIL, detail=D_ENDPOINT, fix=FIX_ENDPOINT_5XX, params=params,
                         code=f"HTTP {resp.status_code}", elapsed=elapsed)
        if resp.status_code in (404, 405, 410):
            return Check("token_endpoint", FAIL, detail=D_ENDPOINT, fix=FIX_ENDPOINT_404, params=params,
                         code="TokenURI", elapsed=elapsed)
        return Check("token_endpoint", PASS, detail=D_ENDPOINT, params=params, elapsed=elapsed)

    def check_clock(self) -> Check:
        return clock_check(clock_skew(self.date_header), self.endpoint_elapsed)

    def check_refresh(self) -> Check:
        from .tokens import refresh_and_store

        assert self.acc is not None
        t0 = time.monotonic()
        try:
            # The same locked path as a send: re-read under the lock, refresh, store (a rotated Microsoft
            # refresh token included) before the token is used; a failed write fails the check.
            resp, acc = refresh_and_store(self.ini, self.acc.email, timeout=self.timeout)
        except OAuthMailError as exc:
            return from_error("refresh", exc, time.monotonic() - t0)
        assert resp is not None
        self.acc = acc
        elapsed = time.monotonic() - t0
        self.token = resp.access_token
        self.secrets += [resp.access_token, resp.refresh_token or ""]
        minutes = max(0, int((resp.expires_at - datetime.now(timezone.utc)).total_seconds() // 60))
        scopes = resp.scopes or self.acc.scopes
        params = {"minutes": minutes, "scopes": " ".join(scopes) or "-"}
        fix = scope_problem(self.acc.provider, self.acc.transport or "smtp", scopes)
        if fix is not None:
            return Check("refresh", WARN, detail=D_REFRESH, fix=fix, params=params, elapsed=elapsed, code="scope")
        return Check("refresh", PASS, detail=D_REFRESH, params=params, elapsed=elapsed)

    def check_smtp_auth(self) -> Check:
        from .smtp import authenticate, connect, quit_quietly

        assert self.acc is not None and self.token is not None
        host, port = self.settings.host, self.settings.port
        t0 = time.monotonic()
        conn = None
        try:
            conn = connect(host, port, self.settings.security, timeout=self.timeout)
            authenticate(conn, self.acc.email, self.token, self.settings.mechanism)
        except OAuthMailError as exc:
            return from_error("smtp_auth", exc, time.monotonic() - t0)
        finally:
            quit_quietly(conn)
        elapsed = time.monotonic() - t0
        return Check("smtp_auth", PASS, detail=D_AUTH,
                     params={"where": f"{host}:{port}", "code": "235"}, elapsed=elapsed)

    def check_api(self) -> Check:
        """The HTTPS path of a graph / gmail-api account: TLS to the API, token audience and scope (no mail)."""
        from .transports import api_base_url
        from .transports.probe import probe

        assert self.acc is not None and self.token is not None
        transport = self.acc.transport or "smtp"
        t0 = time.monotonic()
        try:
            base = api_base_url(self.acc, transport)
            probe(transport, base, self.token, timeout=self.timeout)
        except OAuthMailError as exc:
            return from_error("api", exc, time.monotonic() - t0)
        return Check("api", PASS, detail=D_API, params={"where": base, "transport": transport_name(transport)},
                     elapsed=time.monotonic() - t0)

    def check_record(self) -> Check:
        from .record import diff_records, record_from_account

        assert self.acc is not None
        old = self.record
        now = record_from_account(self.acc)
        changes = diff_records(old, now)
        when = old.created_at or "?"
        if not changes:
            return Check("record", PASS, detail=D_RECORD_SAME, params={"when": when})
        text = "; ".join(f"{k}: {_short(a)} → {_short(b)}" for k, a, b in changes)
        return Check("record", WARN, detail=D_RECORD_CHANGED, fix=FIX_RECORD, params={"when": when, "changes": text},
                     code="changed")

    # the loop -------------------------------------------------------------------------------------------

    def run(self, checks: Iterable[str] | None = None) -> DoctorReport:
        wanted = list(ORDER) + (["record"] if self.record is not None else [])
        if checks is not None:
            chosen = closure(checks)
            wanted = [c for c in wanted if c in chosen]
        report = DoctorReport(self.ini, self.account_name or "",
                              started_at=datetime.now(timezone.utc).replace(microsecond=0).isoformat())
        t0 = time.monotonic()
        results: dict[str, str] = {}
        try:
            for check_id in wanted:
                missing = [n for n in NEEDS.get(check_id, ()) if results.get(n) not in (PASS, WARN)]
                transport = (self.acc.transport or "smtp") if self.acc is not None else "smtp"
                if check_id == "api" and transport == "smtp":
                    continue  # SMTP accounts: the SMTP checks above are the path
                if transport != "smtp" and check_id in SMTP_CHECKS:
                    check = Check(check_id, SKIP, detail=SKIPPED_GRAPH if transport == "graph" else SKIPPED_HTTPS,
                                  params={"transport": transport_name(transport)})
                elif missing:
                    check = Check(check_id, SKIP, detail=SKIPPED_NEEDS, params={"needed": TITLES[missing[0]]},
                                  code=f"needs:{missing[0]}")
                else:
                    check = self._run_one(check_id)
                results[check_id] = check.status
                report.checks.append(check)
        finally:
            from .smtp import quit_quietly

            quit_quietly(self.conn)
            self.conn = None
        if self.acc is not None:
            report.account = self.acc.email
        report.elapsed = time.monotonic() - t0
        return report

    def _run_one(self, check_id: str) -> Check:
        method: Callable[[], Check] = getattr(self, f"check_{check_id}")
        try:
            check = method()
        except OAuthMailError as exc:
            check = from_error(check_id, exc)
        # Last line of defence: no secret of this account in any text of the verdict.
        if check.raw:
            check.raw = redact(check.raw, self.secrets)
        check.params = {k: redact(v, self.secrets) if isinstance(v, str)
                        else Msg(en=redact(v.en, self.secrets), ja=redact(v.ja, self.secrets)) if isinstance(v, Msg)
                        else v for k, v in check.params.items()}
        return check


def closure(checks: Iterable[str]) -> set[str]:
    """The asked-for checks plus everything they need (a check never runs without its prerequisites)."""
    out: set[str] = set()
    todo = list(checks)
    while todo:
        c = todo.pop()
        if c not in out:
            out.add(c)
            todo.extend(NEEDS.get(c, ()))
    return out


def _short(value: Any, limit: int = 60) -> str:
    text = " ".join(value) if isinstance(value, list) else str(value if value not in (None, "") else "-")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def run_doctor(
    ini: str | Path,
    account: str | None = None,
    *,
    checks: Iterable[str] | None = None,
    timeout: float = 10,
    record: Any = None,
) -> DoctorReport:
    """Run the preflight checks for one account (``record``: a :class:`~oauthmail.record.SetupRecord` to compare)."""
    return Doctor(ini, account, timeout=timeout, record=record).run(checks)


def render_table(report: DoctorReport, lang: str | None = None) -> str:
    """The report as a person reads it: one line per check with ✔/✖/⚠, and the fix under each problem."""
    from .i18n.width import display_width

    rows = [c.to_dict(lang) for c in report.checks]
    width = max((display_width(r["title"]) for r in rows), default=10)
    lines = [f"oauthmail doctor: {report.account or report.ini}"]
    for c, r in zip(report.checks, rows, strict=True):
        pad = " " * (width - display_width(r["title"]))
        lines.append(f"{MARKS[c.status]} {r['title']}{pad}  {r['detail']}")
        if r["fix"] and c.status in (FAIL, WARN):
            lines.append(f"    → {L_FIX.format(lang)}: {r['fix']}")
    fails = sum(c.status == FAIL for c in report.checks)
    warns = sum(c.status == WARN for c in report.checks)
    lines.append("")
    if fails or not report.ok:
        lines.append(SUMMARY_FAIL.format(lang, n=fails or 1))
    elif warns:
        lines.append(SUMMARY_WARN.format(lang, n=warns))
    else:
        lines.append(SUMMARY_OK.format(lang))
    return "\n".join(lines)


# ``oauthmail.doctor(ini)`` is this module, called: it runs :func:`run_doctor` (see ``oauthmail/_callable.py``).
from ._callable import make_callable  # noqa: E402

make_callable(__name__, run_doctor)
