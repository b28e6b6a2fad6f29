"""``oauthmail relay --ini FILE [--listen 127.0.0.1:1587] [--account ADDR ...] [--tls-cert F --tls-key F]``.

Also ``--new-password`` (make a relay password for an account, shown once, stored hashed) and
``--check`` (is a relay answering at --listen? exit 0/1, for monitoring).
"""

from __future__ import annotations

import argparse
from typing import Any

from ..i18n import Msg, pick
from . import add_ini_option

NEW_PASSWORD = Msg(
    en="Relay password for {account} (shown once; only its hash is stored in the INI): {password}\n"
    "Configure the mailer with server {where}, AUTH PLAIN or LOGIN, user {account} and this password.",
    ja="{account} のリレー用パスワード（表示はこの一度だけです。INI にはハッシュだけを保存します）: {password}\n"
    "メーラーに次のとおり設定してください: サーバー {where}、認証方式 AUTH PLAIN または LOGIN、ユーザー名 {account}、パスワードは上のもの。",
)
NO_PASSWORD = Msg(
    en="No account of {ini} has a relay password yet, so no mailer could log in.",
    ja="{ini} のどのアカウントにもリレー用パスワードがまだないため、メーラーがログインできません。",
)
NO_PASSWORD_HINT = Msg(
    en="Make one first: oauthmail relay --ini {ini} --account ADDRESS --new-password",
    ja="先に作成してください: oauthmail relay --ini {ini} --account アドレス --new-password",
)


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "relay", help=pick("a local SMTP relay for mailers without OAuth2 (AUTH PLAIN in, XOAUTH2 upstream)",
                           "OAuth2 に対応していないメーラーのためのローカルの SMTP リレー（受け取りは AUTH PLAIN、送り出しは XOAUTH2）"),
        description=pick("Accept mail from local programs with AUTH PLAIN/LOGIN and a relay password, and send it "
        "upstream with the INI account's OAuth2 token (XOAUTH2, or Graph / Gmail API).",
                         "このコンピューターのプログラムから AUTH PLAIN／LOGIN とリレー用のパスワードでメールを受け取り、INI のアカウントの OAuth2 トークンでプロバイダーへ送ります（XOAUTH2、または Graph／Gmail API）。"))
    add_ini_option(p)
    p.add_argument("--listen", default="127.0.0.1:1587", help=pick("HOST:PORT (default 127.0.0.1:1587; "
                   "another than loopback needs --tls-cert/--tls-key)",
                                                                   "待ち受ける HOST:PORT（既定: 127.0.0.1:1587。ループバック アドレス以外では --tls-cert と --tls-key が必要）"))
    p.add_argument("--account", action="append", default=[], help=pick("serve only this account (repeatable)",
                                                                       "このアカウントだけを中継する（繰り返し指定できる）"))
    p.add_argument("--tls-cert", help=pick("PEM certificate for STARTTLS (required off loopback)",
                                           "STARTTLS 用の PEM 形式の証明書（ループバック アドレス以外で待ち受けるときは必須）"))
    p.add_argument("--tls-key", help=pick("PEM private key for --tls-cert",
                                          "--tls-cert の証明書の PEM 形式の秘密鍵"))
    p.add_argument("--new-password", action="store_true", help=pick("make a new relay password for --account, show it once",
                                                                    "--account のアカウントにリレー用のパスワードを新しく作り、一度だけ表示する"))
    p.add_argument("--check", action="store_true", help=pick("check that a relay answers at --listen (exit 0/1)",
                                                             "--listen のアドレスでリレーが応答するか確かめる（終了コード 0／1）"))
    p.add_argument("--debug", action="store_true", help=pick("show both sides' transcripts, secrets masked",
                                                             "両側のやり取りを表示する（秘密情報は伏せる）"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from ..paths import default_ini
    from ..relay.listen import check_listen, parse_listen, tls_context

    host, port = parse_listen(args.listen)
    if args.check:
        from ..relay.check import check

        print(check(host, port))
        return 0
    ini = args.ini or str(default_ini())
    if args.new_password:
        from ..relay.passwords import set_password

        for account in args.account or [None]:
            email, password = set_password(ini, account)
            print(NEW_PASSWORD(account=email, password=password, where=f"{host}:{port}"))
        return 0
    from ..errors import ConfigError
    from ..relay.passwords import logins

    tls = tls_context(args.tls_cert, args.tls_key)
    check_listen(host, tls)
    stored = logins(ini, args.account or None)
    if not stored:
        raise ConfigError(NO_PASSWORD, NO_PASSWORD_HINT, ini=ini, code="relay_no_password")
    from ..relay.server import Relay

    relay = Relay(ini, stored, host=host, port=port, tls=tls, debug=args.debug)
    loop_factory = _loop_factory()
    if loop_factory is None:
        asyncio.run(relay.run())
    else:  # asyncio.Runner(loop_factory=…) is Python 3.11+; the kit supports 3.10
        loop = loop_factory()
        try:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(relay.run())
        finally:
            asyncio.set_event_loop(None)
            loop.close()
    return 0


def _loop_factory() -> Any:
    """uvloop's event loop when it is installed (optional, never required), unless OAUTHMAIL_RELAY_LOOP=asyncio."""
    import os

    if os.environ.get("OAUTHMAIL_RELAY_LOOP", "").lower() == "asyncio":
        return None
    try:
        import uvloop  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    return uvloop.new_event_loop
