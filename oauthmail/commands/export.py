"""``oauthmail export --ini FILE [--account ADDR] --for TOOL [--out FILE] [--lang ja|en]``.

Writes the configuration ``TOOL`` needs (msmtp, neomutt, mutt, git-send-email, postfix, python, curl,
swaks), pointing at ``oauthmail token``; never a secret in the file. ``--out -`` prints it instead.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..i18n import Msg, pick
from . import add_account_option, add_ini_option

WROTE = Msg(en="Wrote {path}", ja="書き出しました: {path}")
TOOL_NAMES = "msmtp, neomutt, mutt, git-send-email, postfix, python, curl, swaks"


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "export", help=pick("write a ready-made configuration for your mailer (msmtp, mutt, git, Postfix…)",
                            "メーラー（msmtp、mutt、git、Postfix など）の設定ファイルをそのまま使える形で書き出す"),
        description=pick("Write what a mail tool needs to send with this INI's account over OAuth2, using the tool's own "
        "conventions and `oauthmail token` for the access token (no secret in the file).",
                         "INI のアカウントで OAuth2 を使って送信するために、メーラーなどのツールが必要とする設定を書き出します。書式はそのツールの流儀に従い、アクセス トークンは `oauthmail token` から受け取ります（ファイルに秘密情報は書きません）。"))
    add_ini_option(p)
    add_account_option(p)
    p.add_argument("--for", dest="tool", required=True, metavar="TOOL", help=pick(f"the tool: {TOOL_NAMES}", f"書き出す対象のツール: {TOOL_NAMES.replace(', ', '、')}"))
    p.add_argument("--out", help=pick("file (a folder for postfix; default OAUTHMAIL_HOME/exports/TOOL/); '-' prints it",
                                      "書き出し先のファイル（postfix ではフォルダー。既定: OAUTHMAIL_HOME/exports/TOOL/）。`-` なら画面に表示する"))
    p.add_argument("--lang", dest="cmd_lang", choices=("en", "ja"), help=pick("language of the comments",
                                                                              "ファイルの中のコメントの言語"))
    p.add_argument("--ca-file", help=pick("CA bundle the tool should trust (default: the sandbox's own CA for a sandbox "
                                          "INI, else SSL_CERT_FILE, else the system's)",
                                          "ツールに信頼させる CA バンドル（既定: サンドボックスの INI ならそのサンドボックスの CA、"
                                          "それ以外は SSL_CERT_FILE、なければシステムのもの）"))
    p.add_argument("--relay", metavar="HOST:PORT", help=pick("oauthmail relay address for tools without OAuth2 "
                   "(default 127.0.0.1:1587)",
                                                             "OAuth2 に対応していないツール向けの oauthmail relay のアドレス（既定: 127.0.0.1:1587）"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..export import render, write_export
    from ..i18n import current_language
    from ..paths import default_ini

    ini = args.ini or str(default_ini())
    lang = args.cmd_lang or current_language()
    relay = None
    if args.relay:
        from ..relay.listen import parse_listen

        relay = parse_listen(args.relay)
    if args.out == "-":
        exp = render(ini, args.tool, args.account, lang=lang, ca_file=args.ca_file, relay=relay)
        for f in exp.files:
            if len(exp.files) > 1:
                print(f"# ---- {f.name} ----")
            print(f.text, end="" if f.text.endswith("\n") else "\n")
        return 0
    written = write_export(ini, args.tool, args.account, out=args.out, lang=lang, ca_file=args.ca_file, relay=relay)
    for path in written.paths:
        print(WROTE(lang, path=str(path)))
    print(written.usage)
    return 0
