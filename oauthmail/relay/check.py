"""``oauthmail relay --check``: is a relay answering at this address? (for monitoring: exit 0 or 1)."""

from __future__ import annotations

import smtplib

from ..errors import NetworkError
from ..i18n import Msg
from ..i18n.oserrors import os_reason

RELAY_DOWN = Msg(
    en="No relay answers at {where} ({reason}).",
    ja="{where} でリレーが応答しません（{reason}）。",
)
RELAY_DOWN_HINT = Msg(
    en="Start it with `oauthmail relay --ini FILE` (or check its service: systemctl status oauthmail-relay), "
    "and give --check the same --listen address.",
    ja="`oauthmail relay --ini ファイル` で起動してください（サービスなら systemctl status oauthmail-relay で状態を確認）。"
    "--check には起動時と同じ --listen のアドレスを指定してください。",
)
RELAY_OK = Msg(
    en="relay OK at {where} (AUTH {mechanisms})",
    ja="リレーは {where} で動作中です（AUTH {mechanisms}）",
)


def check(host: str, port: int, timeout: float = 5) -> str:
    """Greeting, EHLO (AUTH offered, or STARTTLS required), QUIT; the OK line, or :class:`NetworkError`."""
    where = f"{host}:{port}"
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as conn:
            code, _ = conn.ehlo()
            if code != 250:
                raise NetworkError(RELAY_DOWN, RELAY_DOWN_HINT, where=where, reason=Msg(en=f"EHLO answered {code}", ja=f"EHLO に {code} が返りました"),
                                   code="relay_down")
            mechanisms: Msg | str = conn.esmtp_features.get("auth", "").strip() or (
                Msg(en="after STARTTLS", ja="STARTTLS の後") if conn.has_extn("starttls") else "")
            if not mechanisms:
                raise NetworkError(RELAY_DOWN, RELAY_DOWN_HINT, where=where, reason=Msg(en="no AUTH offered", ja="AUTH に対応していません"),
                                   code="relay_down")
    except (OSError, smtplib.SMTPException) as exc:
        raise NetworkError(RELAY_DOWN, RELAY_DOWN_HINT, where=where,
                           reason=os_reason(exc) if isinstance(exc, OSError) else type(exc).__name__,
                           code="relay_down") from None
    return RELAY_OK(where=where, mechanisms=mechanisms)
