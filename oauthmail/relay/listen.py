"""Where the relay listens, and whether that is allowed: loopback by default, anything else only with TLS."""

from __future__ import annotations

import ipaddress
import ssl

from ..errors import ConfigError
from ..i18n import Msg

DEFAULT_LISTEN = ("127.0.0.1", 1587)

BAD_LISTEN = Msg(
    en="{value!r} is not an address to listen on.",
    ja="{value!r} は待ち受けるアドレスとして使えません。",
)
BAD_LISTEN_HINT = Msg(
    en="Give HOST:PORT, e.g. 127.0.0.1:1587 (IPv6: [::1]:1587).",
    ja="ホスト:ポートの形で指定してください（例: 127.0.0.1:1587、IPv6 は [::1]:1587）。",
)
NEEDS_TLS = Msg(
    en="The relay would listen on {host}, which other machines can reach, without TLS; it was not started.",
    ja="{host} はほかのマシンから接続できるアドレスなので、TLS なしではリレーを起動しません。",
)
NEEDS_TLS_HINT = Msg(
    en="Listen on 127.0.0.1 (the default), or give --tls-cert FILE --tls-key FILE so that the mailer's password "
    "only travels encrypted (clients must use STARTTLS).",
    ja="127.0.0.1（既定値）で待ち受けるか、--tls-cert ファイル --tls-key ファイル を指定して、メーラーのパスワードが必ず暗号化されて送られるようにしてください（クライアントには STARTTLS が必須になります）。",
)
BAD_TLS = Msg(
    en="The relay's certificate or key could not be loaded ({reason}).",
    ja="リレーの証明書または秘密鍵を読み込めませんでした（{reason}）。",
)
BAD_TLS_HINT = Msg(
    en="Give a PEM certificate (with its chain) to --tls-cert and its unencrypted PEM key to --tls-key.",
    ja="--tls-cert には PEM 形式の証明書（中間証明書を含む）、--tls-key にはパスフレーズなしの PEM 形式の秘密鍵を指定してください。",
)


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` / ``[V6]:PORT`` / ``:PORT`` (loopback) → (host, port)."""
    text = value.strip()
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        host, sep, port_text = text.rpartition(":")
        host = host or DEFAULT_LISTEN[0]
    try:
        port = int(port_text)
    except ValueError:
        raise ConfigError(BAD_LISTEN, BAD_LISTEN_HINT, value=value[:80], code="bad_listen") from None
    if not sep or not host or not 0 <= port <= 65535:
        raise ConfigError(BAD_LISTEN, BAD_LISTEN_HINT, value=value[:80], code="bad_listen")
    return host, port


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tls_context(cert: str | None, key: str | None) -> ssl.SSLContext | None:
    """The server context for STARTTLS, or ``None`` without a certificate."""
    if not cert:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(cert, key or None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(BAD_TLS, BAD_TLS_HINT, reason=type(exc).__name__, code="relay_bad_tls") from None
    return ctx


def check_listen(host: str, tls: ssl.SSLContext | None) -> None:
    """Refuse a non-loopback address without TLS."""
    if not is_loopback(host) and tls is None:
        raise ConfigError(NEEDS_TLS, NEEDS_TLS_HINT, host=host, code="relay_needs_tls")
