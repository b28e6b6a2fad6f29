"""``oauthmail consent google|microsoft``: sign in once and save the refresh token to the INI.

stdout carries only what a script or a person must act on: the authorization URL (``--no-browser``
/ ``--paste``, on a line of its own), the device-code message, and the final "saved" line.
Progress and warnings go to stderr. No secret is printed; prefer ``OAUTHMAIL_CLIENT_SECRET`` to
``--client-secret`` (a command line is visible to other users in ``ps``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ..i18n import Msg, pick
from ..i18n.labels import provider_name

OPEN_THIS = Msg(
    en="Open this address in a browser to sign in (the kit listens on {redirect_uri}):",
    ja="サインインするには、次のアドレスをブラウザーで開いてください（キットは {redirect_uri} で待っています）:",
)
BROWSER_OPENED = Msg(
    en="Opening your browser. If nothing opens, use this address: {url}",
    ja="ブラウザーを開いています。開かない場合は次のアドレスを使ってください: {url}",
)
DEVICE_WAITING = Msg(
    en="Waiting for the code to be entered (up to {minutes} min)…",
    ja="コードの入力を待っています（最大 {minutes} 分）…",
)
SAVED_LINE = Msg(
    en="Saved {email} ({provider}) to {path}",
    ja="{email}（{provider}）のトークンを {path} に保存しました",
)


def add_consent_options(p: argparse.ArgumentParser) -> None:
    """The options every consent takes (also ``register google --ini …``, which goes on into consent)."""
    p.add_argument("--ini", help=pick("token INI to create or update (default: OAUTHMAIL_HOME/oauthmail.ini)",
                                      "作成または更新するトークン INI（既定: OAUTHMAIL_HOME/oauthmail.ini）"))
    p.add_argument("--email", help=pick("the address you will sign in as (checked; nothing saved on a mismatch)",
                                        "サインインに使うメール アドレス（照合し、違っていれば何も保存しない）"))
    p.add_argument("--redirect-uri", help=pick("the registered loopback return address",
                                               "登録済みのリダイレクト URI（ループバック アドレス）"))
    p.add_argument("--no-browser", action="store_true", help=pick("print the URL instead of opening a browser",
                                                                  "ブラウザーを開かず、URL を表示する"))
    p.add_argument("--paste", action="store_true",
                   help=pick("remote machine: paste the final address (or the code) on stdin instead of listening",
                             "リモートのマシン向け: 待ち受けずに、ブラウザーが最後に開いたアドレス（またはコード）を標準入力に貼り付ける"))
    p.add_argument("--timeout", type=float, default=300.0, help=pick("seconds to wait for the browser (default 300)",
                                                                     "ブラウザーからの戻りを待つ秒数（既定: 300）"))
    p.add_argument("--transport", choices=("smtp", "graph", "gmail-api"), default="smtp",
                   help=pick("what the token will be used for (default smtp)",
                             "トークンの用途（既定: smtp）"))
    p.add_argument("--smtp-host", help=pick("override the provider's SMTP host",
                                            "プロバイダーの SMTP ホストの代わりに使うホスト"))
    p.add_argument("--smtp-port", type=int, help=pick("override the SMTP port",
                                                      "既定の代わりに使う SMTP のポート"))
    p.add_argument("--smtp-security", choices=("starttls", "ssl"), help=pick("override the SMTP security",
                                                                             "既定の代わりに使う SMTP の暗号化方式"))
    p.add_argument("--default", action="store_true", help=pick("make this the INI's default account",
                                                               "このアカウントを INI の既定のアカウントにする"))


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "consent", help=pick("sign in once (Google or Microsoft) and save the refresh token",
                             "一度だけサインインして（Google または Microsoft）、リフレッシュ トークンを保存する"),
        description=pick("Run the OAuth consent and save the account to a token INI (0600).",
                         "OAuth の同意の手順を実行し、アカウントをトークン INI（パーミッション 600）に保存します。"))
    sub = parser.add_subparsers(dest="provider", metavar="PROVIDER")
    sub.required = True

    g = sub.add_parser("google", help=pick("Gmail / Google Workspace (client_secret_*.json)",
                                           "Gmail／Google Workspace（client_secret_*.json を使う）"))
    g.add_argument("--client-secrets", required=True, metavar="FILE", help=pick("the OAuth client JSON from Google Cloud",
                                                                                "Google Cloud からダウンロードした OAuth クライアントの JSON"))
    g.add_argument("--device-code", action="store_true",
                   help=pick("not possible: Google does not allow Gmail permissions on device sign-in (use --paste)",
                             "使えません: Google はデバイス コードでのサインインに Gmail の権限を認めていません（代わりに --paste を使う）"))
    add_consent_options(g)
    g.set_defaults(func=run)

    m = sub.add_parser("microsoft", help=pick("Microsoft 365 / Outlook.com (Entra app registration)",
                                              "Microsoft 365／Outlook.com（Entra のアプリの登録を使う）"))
    m.add_argument("--client-id", required=True, help=pick("Application (client) ID",
                                                           "アプリケーション (クライアント) ID"))
    m.add_argument("--client-secret", help=pick("secret Value (better: env OAUTHMAIL_CLIENT_SECRET)",
                                                "クライアント シークレットの「値」（環境変数 OAUTHMAIL_CLIENT_SECRET で渡すほうが安全）"))
    where = m.add_mutually_exclusive_group()
    where.add_argument("--tenant", default="common", help=pick("common | organizations | consumers | tenant id | domain",
                                                               "common、organizations、consumers、テナント ID、ドメインのどれか"))
    where.add_argument("--authority", help=pick("full authority URL (sovereign clouds, test providers)",
                                                "認証機関（authority）の URL 全体（ソブリン クラウドやテスト用のプロバイダー）"))
    m.add_argument("--device-code", action="store_true", help=pick("sign in with a code on another device (public client)",
                                                                   "別のデバイスでコードを入力してサインインする（パブリック クライアントのみ）"))
    add_consent_options(m)
    m.set_defaults(func=run)


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    """Exactly ``oauthmail.consent.google(...)`` / ``oauthmail.consent.microsoft(...)``, with the command's output."""
    sign_in(args)
    return 0


def sign_in(args: argparse.Namespace) -> Any:
    """The sign-in :func:`run` does, returning the consent result (``register google`` records its account)."""
    from .. import consent, paths

    mode = "device_code" if args.device_code else "paste" if args.paste else "loopback"
    env = consent.detect_environment()
    if env.remote and mode == "loopback":
        _err(env.label + " " + env.advice)

    started: dict[str, Any] = {}

    def on_flow(flow: dict[str, Any]) -> None:
        started.update(flow)
        for warning in flow.get("warnings", []):  # the client's (e.g. a Desktop client JSON)
            _err(warning)
        if mode == "device_code":
            print(flow["message"], flush=True)
            _err(DEVICE_WAITING(minutes=max(1, int(args.timeout // 60))))

    def show(url: str) -> None:
        if mode == "paste":
            print(url, flush=True)
        elif args.no_browser:
            _err(OPEN_THIS(redirect_uri=started.get("redirect_uri", "")))
            print(url, flush=True)
        else:
            _err(BROWSER_OPENED(url=url))

    ini = args.ini or str(paths.default_ini())
    common: dict[str, Any] = {
        "email": args.email, "mode": mode, "open_browser": not args.no_browser and mode == "loopback",
        "redirect_uri": args.redirect_uri, "transport": args.transport, "timeout": args.timeout,
        "make_default": args.default, "smtp_host": args.smtp_host, "smtp_port": args.smtp_port,
        "smtp_security": args.smtp_security, "on_url": show if mode != "device_code" else None, "on_flow": on_flow,
    }
    if args.provider == "google":
        result = consent.google(args.client_secrets, ini, **common)
    else:
        secret = args.client_secret or os.environ.get("OAUTHMAIL_CLIENT_SECRET") or None
        result = consent.microsoft(args.client_id, ini, client_secret=secret, tenant=args.tenant or "common",
                                   authority=args.authority, **common)
    for warning in result.warnings:
        _err(warning)
    print(SAVED_LINE(email=result.email, provider=provider_name(result.provider), path=str(Path(ini).expanduser())), flush=True)
    return result
