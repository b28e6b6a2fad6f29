"""TLS trust and network failures turned into what a person can act on.

Why this module: Python's :func:`ssl.create_default_context` honours ``SSL_CERT_FILE`` and
``SSL_CERT_DIR`` only through OpenSSL's defaults, and ``requests`` reads ``REQUESTS_CA_BUNDLE``
while smtplib does not. A person behind a corporate TLS-inspecting proxy sets one of them and
expects both SMTP and the token endpoint to trust the company CA, so both go through here.
Verification is always on.
"""

from __future__ import annotations

import os
import socket
import ssl

from .errors import NetworkError, OAuthMailError
from .i18n import Msg

CA_ENV_VARS = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")

CERT_UNTRUSTED = Msg(
    en="The server {where} presented a certificate this computer does not trust ({reason}).",
    ja="接続先 {where} のサーバー証明書を、このコンピューターは信頼できませんでした（{reason}）。",
)
CERT_UNTRUSTED_HINT = Msg(
    en="An untrusted certificate authority usually means corporate TLS inspection (a proxy that re-signs traffic). "
    "Ask IT for the company CA certificate (PEM) and point SSL_CERT_FILE (and REQUESTS_CA_BUNDLE) at it; "
    "with the sandbox use the ca_file from sandbox.json. Also check the host name and the computer's clock.",
    ja="信頼されていない認証局の場合、会社の TLS 検査（通信を再署名するプロキシ）が原因であることが多いです。"
    "情報システム部門に社内 CA 証明書（PEM 形式）をもらい、環境変数 SSL_CERT_FILE（と REQUESTS_CA_BUNDLE）にそのパスを設定してください。"
    "サンドボックスなら sandbox.json の ca_file を指定します。ホスト名とコンピューターの時計も確認してください。",
)
CA_FILE_MISSING = Msg(
    en="The CA file named by {var} ({path}) cannot be used ({reason}).",
    ja="{var} で指定された CA ファイル（{path}）を使えません（{reason}）。",
)
CA_FILE_MISSING_HINT = Msg(
    en="Fix the path in {var} (a PEM file with the CA certificates) or unset it to use the system's CAs.",
    ja="{var} のパスを直すか（CA 証明書の PEM ファイル）、設定を外してシステムの CA を使ってください。",
)
REFUSED = Msg(
    en="Nothing answered at {where} (connection refused).",
    ja="{where} に接続できませんでした（接続を拒否されました）。",
)
REFUSED_HINT = Msg(
    en="Check the host and port (587 for STARTTLS, 465 for SSL; with the sandbox, the ports in sandbox.json and "
    "whether it is running). A firewall or the network may block outgoing mail ports: try the other port or ask IT. "
    "If mail ports stay blocked, send over HTTPS (port 443): --transport graph (Microsoft 365) or "
    "--transport gmail-api (Gmail).",
    ja="ホストとポートを確認してください（STARTTLS は 587、SSL は 465。サンドボックスなら sandbox.json のポートと、起動しているか）。"
    "ファイアウォールやネットワークが送信メールのポートを塞いでいることもあります。もう一方のポートを試すか、情報システム部門に確認してください。"
    "メール用ポートが使えないままなら、HTTPS（443 番ポート）で送れます: --transport graph（Microsoft 365）、"
    "--transport gmail-api（Gmail）。",
)
DNS_FAILED = Msg(
    en="The host name {host} could not be found (DNS).",
    ja="ホスト名 {host} が見つかりませんでした（DNS）。",
)
DNS_FAILED_HINT = Msg(
    en="Check the spelling of the host (e.g. smtp.gmail.com, smtp.office365.com) and that this computer is online; "
    "behind a proxy, outgoing SMTP may need a direct route.",
    ja="ホスト名の綴り（例: smtp.gmail.com、smtp.office365.com）と、このコンピューターがネットにつながっているかを確認してください。"
    "プロキシ環境では SMTP に直接出られないことがあります。",
)
TIMED_OUT = Msg(
    en="{where} did not answer within {timeout} seconds.",
    ja="{where} が {timeout} 秒以内に応答しませんでした。",
)
TIMED_OUT_HINT = Msg(
    en="The port is probably filtered by a firewall, or the server is overloaded. Check the host and port, try the "
    "other port (587/465), or raise --timeout. If mail ports are blocked on this network, send over HTTPS (port "
    "443): --transport graph (Microsoft 365) or --transport gmail-api (Gmail).",
    ja="ファイアウォールでポートが塞がれているか、サーバーが混んでいる可能性があります。ホストとポートを確認し、"
    "もう一方のポート（587／465）を試すか、タイムアウトを長くしてください。このネットワークでメール用ポートが"
    "塞がれているなら、HTTPS（443 番ポート）で送れます: --transport graph（Microsoft 365）、"
    "--transport gmail-api（Gmail）。",
)
NET_OTHER = Msg(
    en="The network connection to {where} failed ({reason}).",
    ja="{where} へのネットワーク接続に失敗しました（{reason}）。",
)
NET_OTHER_HINT = Msg(
    en="Check that this computer is online, the host and port, and any proxy or firewall between you and the server.",
    ja="ネット接続、ホストとポート、途中のプロキシやファイアウォールを確認してください。",
)
TLS_FAILED = Msg(
    en="The TLS handshake with {where} failed ({reason}).",
    ja="{where} との TLS ハンドシェイクに失敗しました（{reason}）。",
)
TLS_FAILED_HINT = Msg(
    en="Check that the security mode fits the port: 587 uses starttls, 465 uses ssl (--smtp-security).",
    ja="セキュリティ方式とポートの組み合わせを確認してください。587 は starttls、465 は ssl です（--smtp-security）。",
)


def ca_file() -> tuple[str, str] | None:
    """``(variable, path)`` of the CA bundle the person asked for, if any."""
    for var in CA_ENV_VARS:
        value = os.environ.get(var)
        if value:
            return var, value
    return None


def ssl_context() -> ssl.SSLContext:
    """A verifying client context that trusts ``SSL_CERT_FILE`` / ``REQUESTS_CA_BUNDLE`` / ``SSL_CERT_DIR``."""
    chosen = ca_file()
    capath = os.environ.get("SSL_CERT_DIR") or None
    try:
        if chosen or capath:
            ctx = ssl.create_default_context(cafile=chosen[1] if chosen else None, capath=capath)
        else:
            ctx = ssl.create_default_context()
    except (OSError, ssl.SSLError) as exc:
        var, path = chosen if chosen else ("SSL_CERT_DIR", capath or "")
        raise NetworkError(CA_FILE_MISSING, CA_FILE_MISSING_HINT, var=var, path=path,
                           reason=getattr(exc, "strerror", None) or str(exc), code="ca_file") from None
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def requests_verify() -> str | bool:
    """What to pass as ``verify=`` to requests (the chosen CA bundle, or the default)."""
    chosen = ca_file()
    return chosen[1] if chosen else True


def network_error(exc: BaseException, where: str, host: str = "", timeout: float | None = None) -> OAuthMailError:
    """Turn a socket/SSL exception into a :class:`NetworkError` saying what to check."""
    if isinstance(exc, OAuthMailError):
        return exc
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or str(exc)
        return NetworkError(CERT_UNTRUSTED, CERT_UNTRUSTED_HINT, where=where, reason=reason, code="tls_verify")
    if isinstance(exc, ssl.SSLError):
        if "CERTIFICATE_VERIFY_FAILED" in str(exc):
            return NetworkError(CERT_UNTRUSTED, CERT_UNTRUSTED_HINT, where=where, reason=str(exc)[:200],
                                code="tls_verify")
        return NetworkError(TLS_FAILED, TLS_FAILED_HINT, where=where, reason=getattr(exc, "reason", None) or str(exc),
                            code="tls_failed")
    if isinstance(exc, ConnectionRefusedError):
        return NetworkError(REFUSED, REFUSED_HINT, where=where, code="connection_refused")
    if isinstance(exc, socket.gaierror):
        return NetworkError(DNS_FAILED, DNS_FAILED_HINT, host=host or where, code="dns")
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return NetworkError(TIMED_OUT, TIMED_OUT_HINT, where=where, timeout=f"{timeout:g}" if timeout else "?",
                            code="timeout")
    from .i18n.oserrors import os_reason

    return NetworkError(NET_OTHER, NET_OTHER_HINT, where=where, reason=os_reason(exc), code="network")
