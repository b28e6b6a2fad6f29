"""``oauthmail token``: print a fresh access token (or the XOAUTH2 string) for msmtp, mutt and friends.

The ONLY place the kit prints a token, on purpose: msmtp's ``passwordeval "oauthmail token --ini F"``
reads it from stdout. Everything else (warnings, errors) goes to stderr.
"""

from __future__ import annotations

from ..i18n import pick
from . import add_account_option, add_ini_option

TYPE_CHECKING = False  # no ``typing`` import at run time (start-up time of the command)
if TYPE_CHECKING:
    import argparse
    from typing import Any


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "token", help=pick("print a fresh access token (for msmtp passwordeval)",
                           "有効なアクセス トークンを表示する（msmtp の passwordeval 用）"),
        description=pick("Print a valid access token on stdout (refreshed if needed), for msmtp/mutt passwordeval.",
                         "有効なアクセス トークンを標準出力に出します（必要なら更新します）。msmtp や mutt の passwordeval で使います。"))
    add_ini_option(p)
    add_account_option(p)
    p.add_argument("--xoauth2", action="store_true", help=pick("print the base64 SASL XOAUTH2 string instead",
                                                               "代わりに SASL XOAUTH2 の文字列（base64）を表示する"))
    p.add_argument("--force-refresh", action="store_true", help=pick("refresh even if the cached token is still valid",
                                                                     "保存されているトークンがまだ有効でも更新する"))
    p.add_argument("--sasl-xoauth2-file", metavar="FILE",
                   help=pick("write the token into sasl-xoauth2's token file (Postfix; see `oauthmail export --for postfix`)",
                             "トークンを sasl-xoauth2 が読むファイルに書き込む（Postfix 用。`oauthmail export --for postfix` を参照）"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..tokens import get_access_token

    if args.ini:
        ini = args.ini
    else:
        from ..paths import default_ini

        ini = str(default_ini())
    if args.sasl_xoauth2_file:
        from ..export.postfix import write_token_file

        write_token_file(ini, args.account, args.sasl_xoauth2_file)
        return 0
    from .. import tokenfile
    from ..errors import NetworkError
    from . import trust_the_sandbox
    from .send import warn

    tf = tokenfile.read(ini)
    try:
        try:
            tok = get_access_token(tf, args.account, force_refresh=args.force_refresh)
        except NetworkError as exc:  # refused: an INI made against a sandbox that is not running?
            from ..sandbox.lifecycle import revive_for_ini

            note = revive_for_ini(ini, args.account, exc)
            if note is None:
                raise
            warn(note)
            tok = get_access_token(ini, args.account, force_refresh=args.force_refresh)
    except NetworkError as exc:  # a sandbox's INI in a terminal that does not trust its CA
        if exc.code != "tls_verify" or not trust_the_sandbox(ini, args.account):
            raise
        tok = get_access_token(ini, args.account, force_refresh=args.force_refresh)

    for warning in tok.warnings:
        warn(warning)
    print(tok.xoauth2() if args.xoauth2 else tok.token)
    return 0
