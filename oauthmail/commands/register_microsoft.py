"""``oauthmail register microsoft``: create the Entra app registration through Microsoft Graph.

Wired by :mod:`oauthmail.commands.register`. stdout carries what a script or a person must act on
(the sign-in address with ``--no-browser``/``--paste``, a device code's message, the final line, or
the ``--json`` summary); each step's result goes to stderr as it finishes. No secret is ever printed:
a web app's secret goes from Graph's answer straight into the INI.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from ..i18n import Msg, pick

OPEN_BOOTSTRAP = Msg(
    en="Open this address in a browser and sign in with the account that will own the app:",
    ja="次のアドレスをブラウザーで開き、アプリの所有者になるアカウントでサインインしてください:",
)
BAD_DAYS = Msg(en="--secret-days {days} is out of range.", ja="--secret-days {days} は範囲外です。")
BAD_DAYS_HINT = Msg(en="Give a number of days from 1 to 730 (Microsoft recommends 180 or less).",
                    ja="1 から 730 までの日数を指定してください（Microsoft の推奨は 180 日以下）。")
PASTE_PROMPT = Msg(
    en="After signing in, paste here the full address your browser ended on and press Enter:",
    ja="サインイン後、ブラウザーに最後に表示されたアドレスをすべてここに貼り付けて Enter を押してください:",
)


def add_parser(sub: Any) -> None:
    """The ``microsoft`` sub-parser of ``oauthmail register``."""
    p: argparse.ArgumentParser = sub.add_parser(
        "microsoft", help=pick("Microsoft 365: create the Entra app through Microsoft Graph, then consent",
                               "Microsoft 365: Microsoft Graph で Entra のアプリを登録し、同意の手順へ進む"),
        description=pick("Sign in once with a first-party client (the Azure CLI's by default), create the app "
        "registration, its service principal, a secret for web apps and (as an admin) consent for everyone "
        "through Microsoft Graph; with --ini, go on into consent with the new app, write the INI and send a "
        "test message.",
                         "Microsoft 製のクライアント（既定は Azure CLI のもの）で一度サインインし、Microsoft Graph を通じてアプリの登録、そのサービス プリンシパル、Web アプリならクライアント シークレットを作り、管理者なら組織全体への同意も済ませます。--ini を付けると、新しいアプリで同意の手順に進み、INI を書き、テストメールを送ります。"))
    add_common(p)
    p.add_argument("--name", default="oauthmail mailer", help=pick("the app's display name (default: oauthmail mailer)",
                                                                   "アプリの表示名（既定: oauthmail mailer）"))
    p.add_argument("--client-type", choices=("public", "web"), default="public",
                   help=pick("public (default): no secret, nothing expires; web: redirect "
                   "http://localhost:48888/callback and a secret",
                             "public（既定）: シークレットなし、期限切れもない。web: リダイレクト URI http://localhost:48888/callback とシークレットを使う"))
    p.add_argument("--transport", choices=("smtp", "graph"), default="smtp",
                   help=pick("what the app sends with: smtp (SMTP.Send, default) or graph (Mail.Send)",
                             "アプリの送信方法: smtp（SMTP.Send、既定）または graph（Mail.Send）"))
    p.add_argument("--secret-days", type=int, default=180, metavar="N",
                   help=pick("web apps: days until the secret expires (1-730, default 180)",
                             "Web アプリのみ: シークレットの有効期限までの日数（1～730、既定: 180）"))
    p.add_argument("--accounts", choices=("single", "multi", "personal"), default="single",
                   help=pick("who may sign in: this tenant (default), any organisation, or also personal accounts",
                             "サインインできるアカウント: single はこのテナントのみ（既定）、multi は任意の組織、personal は個人アカウントも含める"))
    p.add_argument("--ini", help=pick("go on into consent with the new app and write this token INI (0600)",
                                      "新しいアプリで同意の手順に進み、このトークン INI（パーミッション 600）に書き込む"))
    p.add_argument("--email", help=pick("the mailbox address you will sign in as (checked)",
                                        "サインインに使うメールボックスのアドレス（照合する）"))
    p.add_argument("--default", action="store_true", help=pick("make the account the INI's default",
                                                               "このアカウントを INI の既定のアカウントにする"))
    p.add_argument("--redirect-uri", help=pick("consent's return address (default: http://localhost:<free port> for "
                   "public, http://localhost:48888/callback for web; Entra ignores the port on localhost)",
                                               "同意のあとに戻るリダイレクト URI（既定: public は http://localhost:<空いているポート>、web は http://localhost:48888/callback。Entra は localhost のポート番号を区別しない）"))
    p.add_argument("--no-admin-consent", action="store_true",
                   help=pick("as an admin, do not grant consent for the whole organisation",
                             "管理者でも、組織全体への同意は付与しない"))
    p.add_argument("--no-test", action="store_true", help=pick("with --ini, do not send the test message",
                                                               "--ini を付けたとき、テストメールを送らない"))
    p.add_argument("--wait", type=float, default=180.0, metavar="S",
                   help=pick("seconds to wait for a new app to be known to sign-in (default 180)",
                             "新しいアプリでサインインできるようになるまで待つ秒数（既定: 180）"))
    p.set_defaults(func=run)


def add_common(p: argparse.ArgumentParser) -> None:
    """Options ``register`` and ``unregister`` share: where, which bootstrap client, how to sign in."""
    where = p.add_mutually_exclusive_group()
    where.add_argument("--tenant", help=pick("organizations (default) | tenant id | domain",
                                             "organizations（既定）、テナント ID、ドメインのどれか"))
    where.add_argument("--authority", help=pick("full authority URL (sovereign clouds, the sandbox)",
                                                "認証機関（authority）の URL 全体（ソブリン クラウドやサンドボックス）"))
    how = p.add_mutually_exclusive_group()
    how.add_argument("--device-code", action="store_true", help=pick("sign in with a code on another device",
                                                                     "別のデバイスでコードを入力してサインインする"))
    how.add_argument("--no-browser", action="store_true", help=pick("print the address instead of opening a browser",
                                                                    "ブラウザーを開かず、アドレスを表示する"))
    how.add_argument("--paste", action="store_true",
                     help=pick("remote machine: paste the address the browser ended on, instead of listening",
                               "リモートのマシン向け: 待ち受けずに、ブラウザーが最後に開いたアドレスを貼り付ける"))
    p.add_argument("--bootstrap-client", default="04b07795-8ddb-461a-bbee-02f9e1bf7b46", metavar="ID",
                   help=pick("the public client to sign in with before the app exists (default: the Azure CLI's; "
                   "14d82eec-204b-4c2f-b7e8-296a70dab67e for Microsoft Graph Command Line Tools, or your own)",
                             "アプリができる前のサインインに使うパブリック クライアント（既定: Azure CLI のもの。Microsoft Graph Command Line Tools なら 14d82eec-204b-4c2f-b7e8-296a70dab67e、または自分のもの）"))
    p.add_argument("--graph-url", help=pick("Microsoft Graph's address (default: the cloud's; the sandbox's own)",
                                            "Microsoft Graph のアドレス（既定: クラウドごとのもの、サンドボックスではそのサンドボックスのもの）"))
    p.add_argument("--timeout", type=float, default=300.0, help=pick("seconds to wait for each sign-in (default 300)",
                                                                     "サインイン 1 回ごとに待つ秒数（既定: 300）"))
    p.add_argument("--json", action="store_true", help=pick("print what was made as JSON on stdout",
                                                            "作ったものを JSON で標準出力に出す"))


def mode_of(args: argparse.Namespace) -> str:
    return "device" if args.device_code else "paste" if args.paste else "no_browser" if args.no_browser else "browser"


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Printer:
    """Step lines on stderr; the waiting countdown at most every few seconds (or in place on a terminal)."""

    def __init__(self) -> None:
        self._last_wait = 0.0
        self.tty = sys.stderr.isatty()

    def step(self, step: Any) -> None:
        if step.status == "running":
            return
        if step.status == "waiting":
            now = time.monotonic()
            if self.tty:
                sys.stderr.write("\r" + step.line()[:160].ljust(100))
                sys.stderr.flush()
            elif now - self._last_wait >= 10 or not self._last_wait:
                self._last_wait = now
                _err(step.line())
            return
        if self.tty and self._last_wait:
            sys.stderr.write("\r" + " " * 100 + "\r")
        _err(step.line())

    def url(self, mode: str) -> Any:
        seen: list[str] = []

        def show(url: str) -> None:
            from .consent import BROWSER_OPENED, OPEN_THIS

            first = not seen
            seen.append(url)
            if mode == "browser":
                _err(BROWSER_OPENED(url=url))
                return
            _err(OPEN_BOOTSTRAP() if first else OPEN_THIS(redirect_uri="http://localhost"))
            print(url, flush=True)
            if mode == "paste":
                _err(PASTE_PROMPT())

        return show


def run(args: argparse.Namespace) -> int:
    from ..registration.microsoft import MicrosoftRegistration, RegistrationOptions, authority_for

    if not 1 <= args.secret_days <= 730:
        from ..errors import ConfigError

        raise ConfigError(BAD_DAYS, BAD_DAYS_HINT, days=args.secret_days, code="secret_days")
    mode = mode_of(args)
    out = Printer()
    options = RegistrationOptions(
        authority=authority_for(args.tenant, args.authority), name=args.name, client_type=args.client_type,
        transport=args.transport, accounts=args.accounts, secret_days=args.secret_days,
        bootstrap_client=args.bootstrap_client, graph_url=args.graph_url or "", mode=mode, ini=args.ini,
        email=args.email, make_default=args.default, admin_consent=not args.no_admin_consent, wait=args.wait,
        test_send=not args.no_test, redirect_uri=args.redirect_uri, timeout=args.timeout)
    reg = MicrosoftRegistration(options, on_step=out.step, on_url=out.url(mode),
                                on_message=lambda text: print(text, flush=True))
    try:
        reg.run()
    finally:
        if args.json:
            print(json.dumps(reg.summary(), ensure_ascii=False, indent=1), flush=True)
    if not args.json:
        print(reg.done_line(), flush=True)
    return 0


__all__ = ["add_common", "add_parser", "mode_of", "run"]
