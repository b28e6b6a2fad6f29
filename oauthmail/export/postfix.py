"""Postfix with sasl-xoauth2, the kit staying the ONE place where the refresh token lives and rotates.

sasl-xoauth2 (tarickb/sasl-xoauth2) normally keeps its own copy of the refresh token (and the client
secret) in a token file and refreshes by itself. With the kit beside it that makes two refreshers of
one refresh token: Microsoft rotates the refresh token on every refresh (provider-facts fact 53), so
each side keeps invalidating the other's copy, and the secrets would be copied into Postfix's spool.

So the export sets ``manage_token_externally`` in the token file: the plugin then "takes the token as
is" (sasl-xoauth2.conf(5)) and never refreshes. A systemd timer runs
``oauthmail token --sasl-xoauth2-file FILE`` every 5 minutes, which writes only the current access
token and its expiry into that file (atomically, 0600), refreshing through the INI's lock when fewer
than 15 minutes are left. No exported file holds a secret; the token file holds a short-lived access
token only, written at run time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .. import tokenfile
from ..i18n import Msg
from .context import Export, ExportContext, ExportFile

#: A token in the file has at least this many seconds left (timer every 5 min, refresh under 15 min left).
TOKEN_FILE_MARGIN = 900
TIMER_INTERVAL = "5min"
CHROOT_TOKENS = "/etc/tokens"  # sasl-xoauth2's README: token paths as seen inside Postfix's chroot
SPOOL = "/var/spool/postfix"

USE_POSTFIX = Msg(
    en="Postfix with sasl-xoauth2: add main.cf.oauthmail to /etc/postfix/main.cf, copy sasl_passwd to "
    "/etc/postfix/ and run `postmap /etc/postfix/sasl_passwd`, install the two systemd files and run "
    "`systemctl enable --now {unit}.timer`, then `postfix reload`. The kit keeps refreshing the token; "
    "sasl-xoauth2 only reads the access token (manage_token_externally), so the refresh token stays in the INI.",
    ja="Postfix と sasl-xoauth2 での手順:\n"
    "1. main.cf.oauthmail の内容を /etc/postfix/main.cf に追記します。\n"
    "2. sasl_passwd を /etc/postfix/ にコピーし、`postmap /etc/postfix/sasl_passwd` を実行します。\n"
    "3. systemd の 2 つのファイルを置き、`systemctl enable --now {unit}.timer` を実行します。\n"
    "4. `postfix reload` を実行します。\n"
    "トークンの更新はこのキットが行い、sasl-xoauth2 はアクセス トークンを読むだけ（manage_token_externally）なので、"
    "リフレッシュ トークンは INI にだけ残ります。",
)


PASSWD_NOTE = Msg(en="sasl-xoauth2 reads the 'password' as the path of its token file (inside Postfix's chroot).",
                  ja="sasl-xoauth2 は「パスワード」の欄を、自分が読むトークンのファイルのパスとして扱います（Postfix の chroot の中から見たパス）。")
SERVICE_DESCRIPTION = Msg(en="oauthmail: fresh access token for sasl-xoauth2 ({account})",
                          ja="oauthmail: sasl-xoauth2 用に新しいアクセス トークンを書き出す（{account}）")
TIMER_DESCRIPTION = Msg(en="oauthmail: keep the sasl-xoauth2 token of {account} fresh",
                        ja="oauthmail: {account} の sasl-xoauth2 用トークンを期限切れ前に更新する")


def unit_name(account: str) -> str:
    safe = "".join(c if c.isalnum() else "-" for c in account.lower()).strip("-")
    return f"oauthmail-sasl-xoauth2-{safe}"


def token_file_path(account: str) -> tuple[str, str]:
    """(path inside the chroot for sasl_passwd, real path the timer writes)."""
    inside = f"{CHROOT_TOKENS}/{account}.json"
    return inside, SPOOL + inside


def postfix(ctx: ExportContext) -> Export:
    from .tools import header

    inside, real = token_file_path(ctx.account)
    relay = f"[{ctx.host}]:{ctx.port}"
    ca = ctx.ca_file or "/etc/ssl/certs/ca-certificates.crt"
    main = [header(ctx, "Postfix + sasl-xoauth2").rstrip("\n"),
            f"relayhost = {relay}",
            "smtp_sasl_auth_enable = yes",
            "smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd",
            "smtp_sasl_security_options =",
            f"smtp_sasl_mechanism_filter = {ctx.mechanism.lower()}",
            "smtp_tls_security_level = encrypt",
            f"smtp_tls_CAfile = {ca}"]
    if ctx.security == "ssl":
        main.append("smtp_tls_wrappermode = yes")
    passwd = [header(ctx, "Postfix sasl_passwd").rstrip("\n"),
              f"# {PASSWD_NOTE(ctx.lang)}",
              f"{relay} {ctx.account}:{inside}"]
    template = {"manage_token_externally": "true", "user": ctx.account, "access_token": "", "expiry": "0"}
    unit = unit_name(ctx.account)
    command = " ".join([ctx.token_command, "--sasl-xoauth2-file", real])
    service = [header(ctx, "systemd").rstrip("\n"), "[Unit]",
               f"Description={SERVICE_DESCRIPTION(ctx.lang, account=ctx.account)}",
               "After=network-online.target", "", "[Service]", "Type=oneshot", "UMask=0077",
               f"ExecStart={command}", f"ExecStartPost=/bin/chown postfix:postfix {real}", ""]
    timer = [header(ctx, "systemd").rstrip("\n"), "[Unit]",
             f"Description={TIMER_DESCRIPTION(ctx.lang, account=ctx.account)}", "", "[Timer]",
             "OnBootSec=30s", f"OnUnitActiveSec={TIMER_INTERVAL}", "", "[Install]", "WantedBy=timers.target", ""]
    files = (
        ExportFile("main.cf.oauthmail", "\n".join(main) + "\n", 0o644),
        ExportFile("sasl_passwd", "\n".join(passwd) + "\n", 0o600),
        ExportFile("sasl-xoauth2-token.json", json.dumps(template, indent=2) + "\n", 0o600, "template"),
        ExportFile(f"{unit}.service", "\n".join(service), 0o644),
        ExportFile(f"{unit}.timer", "\n".join(timer), 0o644),
    )
    return Export("postfix", files, USE_POSTFIX(ctx.lang, unit=unit), (), "postfix")


def token_file_text(account: str, token: str, expires_epoch: int) -> str:
    """The sasl-xoauth2 token file: the access token as is, the plugin never refreshing it."""
    return json.dumps({"manage_token_externally": "true", "user": account, "access_token": token,
                       "expiry": str(expires_epoch)}) + "\n"


def write_token_file(ini: str | Path, account: str | None, path: str | Path) -> str:
    """Write the current access token for sasl-xoauth2 (refreshing under the INI's lock if needed).

    Returns the account's address. The file is replaced atomically with mode 0600.
    """
    from ..tokens import get_access_token

    tok = get_access_token(ini, account, margin=TOKEN_FILE_MARGIN)
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tokenfile.atomic_write(target, token_file_text(tok.email, tok.token, int(tok.expires_at.timestamp())), 0o600)
    os.chmod(target, 0o600)
    return tok.email
