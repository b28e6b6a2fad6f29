"""``oauthmail sandbox``: run the local Google-like and Microsoft-like sign-in and mail server.

Prints a readable summary (endpoints, clients, users, CA, mailbox page, how to stop), writes
``sandbox.json`` once ready, keeps state under ``OAUTHMAIL_HOME/sandbox`` unless ``--state-dir``,
and stops cleanly on Ctrl-C or SIGTERM. Stopping keeps the mailbox, the CA, the client files and
issued tokens; ``sandbox.json`` is rewritten with ``"status": "stopped"``.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from ..i18n import Msg, pick

S_RUNNING = Msg(en="oauthmail sandbox is running", ja="oauthmail サンドボックスを起動しました")
S_STATE = Msg(en="State folder", ja="状態フォルダー")
S_CA = Msg(en="CA certificate (valid only for localhost, 127.0.0.1 and ::1: name-constrained)",
           ja="CA 証明書（localhost・127.0.0.1・::1 にだけ有効な名前制約付き）")
S_TRUST = Msg(en="For other programs", ja="他のプログラムから使うとき")
S_GOOGLE = Msg(en="Google (like accounts.google.com)", ja="Google（accounts.google.com 相当）")
S_AUTH = Msg(en="authorization", ja="認可")
S_TOKEN = Msg(en="token", ja="トークン")
S_WEB_CLIENT = Msg(en="Web client JSON", ja="ウェブ クライアント JSON")
S_DESKTOP_CLIENT = Msg(en="Desktop client JSON", ja="デスクトップ クライアント JSON")
S_REDIRECT = Msg(en="redirect", ja="リダイレクト")
S_MICROSOFT = Msg(en="Microsoft (like login.microsoftonline.com)", ja="Microsoft（login.microsoftonline.com 相当）")
S_AUTHORITY = Msg(en="authority", ja="認証機関（authority）")
S_WEB_APP = Msg(en="Web app client ID", ja="Web アプリのクライアント ID")
S_SECRET_WHERE = Msg(en="client secret: in {path} (microsoft.web_client_secret)",
                     ja="クライアント シークレット: {path} の microsoft.web_client_secret に記載")
S_PUBLIC_APP = Msg(en="Public app client ID (device sign-in)", ja="パブリック クライアントのクライアント ID（デバイス コード）")
S_DEVICE_PAGE = Msg(en="device sign-in page", ja="デバイス コードの入力ページ")
S_SMTP = Msg(en="Mail server (SMTP, XOAUTH2 / OAUTHBEARER)", ja="メールサーバー（SMTP、XOAUTH2／OAUTHBEARER）")
S_SMTP_PORTS = Msg(en="host {host}, port {starttls} (STARTTLS, like 587), port {ssl} (SSL/TLS, like 465)",
                   ja="ホスト {host}、ポート {starttls}（STARTTLS、587 相当）、ポート {ssl}（SSL/TLS、465 相当）")
S_USERS = Msg(en="Users", ja="ユーザー")
S_GOOGLE_USER = Msg(en="Google, test user", ja="Google、テストユーザー")
S_GOOGLE_NOT_TEST = Msg(en="Google, NOT a test user (sees 'Access blocked')",
                        ja="Google、テストユーザーではありません。サインインは「アクセスをブロック」になります")
S_MS_USER = Msg(en="Microsoft 365", ja="Microsoft 365 のユーザー")
#: A user line: the kind in brackets, full-width in Japanese (docs/glossary.ja.md).
S_USER_LINE = Msg(en="{email} ({kind})", ja="{email}（{kind}）")
S_MAILBOX = Msg(en="Mailbox page", ja="メールボックスのページ")
S_MAILBOX_CLI = Msg(en="or: oauthmail mailbox --state-dir {dir}", ja="またはコマンド: oauthmail mailbox --state-dir {dir}")
S_INFO = Msg(en="For scripts", ja="スクリプト向け")
S_STOP = Msg(en="Press Ctrl-C to stop. The mailbox, the CA and the client files are kept.",
             ja="止めるには Ctrl-C を押してください。メールボックス、CA、クライアント ファイルは残ります。")
S_STOPPED = Msg(en="Sandbox stopped. Kept: {dir}", ja="サンドボックスを停止しました。残したもの: {dir}")
S_PROXY = Msg(en="Through jupyter-server-proxy (open these in your browser)",
              ja="jupyter-server-proxy 経由（ブラウザーではこちらを開いてください）")
BAD_PORT_BASE = Msg(en="--port-base {value} is not usable: it needs four free ports from {value} to {last}.",
                    ja="--port-base {value} は使えません: {value} から {last} までの 4 つの空きポートが必要です。")
BAD_PORT_BASE_HINT = Msg(en="Pick another number between 1024 and 65530, or leave --port-base out to use free ports.",
                         ja="1024〜65530 の別の番号を選ぶか、--port-base を外して空いているポートを使ってください。")
PORT_BUSY = Msg(en="The sandbox could not listen on {host}: {reason}",
                ja="サンドボックスが {host} で待ち受けできませんでした: {reason}")
PORT_BUSY_HINT = Msg(en="Another program (or another sandbox) uses that port. Stop it or choose another --port-base.",
                     ja="別のプログラム（または別のサンドボックス）がそのポートを使っています。止めるか、別の --port-base を指定してください。")

S_MAIL_API = Msg(en="HTTPS mail APIs (Graph sendMail, Gmail API; --api-url): {url}",
                 ja="HTTPS のメール API（Graph の sendMail・Gmail API。--api-url に指定）: {url}")


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "sandbox", help=pick("start the local Google/Microsoft sign-in and XOAUTH2 mail server",
                             "Google・Microsoft のサインインと XOAUTH2 のメールサーバーをローカルで動かす"),
        description=pick("Run a local Google-like and Microsoft-like sign-in and an XOAUTH2 mail server for "
                    "practice, classes and tests. No account is needed.",
                         "Google や Microsoft に似せたサインインと、XOAUTH2 のメールサーバーをこのコンピューターで動かします。練習、研修、テストに使えます。アカウントは要りません。"))
    p.add_argument("--state-dir", help=pick("where to keep the CA, client files, tokens and mailbox "
                                       "(default: OAUTHMAIL_HOME/sandbox)",
                                            "CA、クライアント ファイル、トークン、メールボックスを置くフォルダー（既定: OAUTHMAIL_HOME/sandbox）"))
    p.add_argument("--config", help=pick("JSON file with users, clients, lifetimes and faults",
                                         "ユーザー、クライアント、有効期限、わざと起こす障害を書いた JSON ファイル"))
    p.add_argument("--port-base", type=int, help=pick("use fixed ports N (HTTPS), N+1 (pages over HTTP), "
                                                 "N+2 (SMTP STARTTLS), N+3 (SMTP SSL)",
                                                      "ポートを固定する: N（HTTPS）、N+1（HTTP のページ）、N+2（SMTP の STARTTLS）、N+3（SMTP の SSL）"))
    what = p.add_mutually_exclusive_group()
    what.add_argument("--detach", action="store_true",
                      help=pick("run in the background (a process of its own) and return once it is ready",
                                "バックグラウンド（別のプロセス）で動かし、準備ができたら戻る"))
    what.add_argument("--stop", action="store_true", help=pick("stop the sandbox running for the state folder",
                                                               "この状態フォルダーのサンドボックスを止める"))
    what.add_argument("--status", action="store_true", help=pick("say whether it runs, and where",
                                                                 "動いているかどうかと、その場所を表示する"))
    p.add_argument("--allow-remote", action="store_true",
                   help=pick("allow a --config host other than loopback (the sandbox has no passwords: only on a "
                        "machine and network you trust)",
                             "--config でループバック アドレス以外のホストを使えるようにする（サンドボックスにはパスワードがないため、信頼できるマシンとネットワークでだけ使う）"))
    p.set_defaults(func=run)


def summary(sb: Any, lang: str | None = None) -> str:
    """The text a person reads when the sandbox starts (no secret in it)."""
    info = sb.info
    g, m, s = info["google"], info["microsoft"], info["smtp"]
    ca = info["ca_file"]
    lines = [
        f"{S_RUNNING.format(lang)}",
        f"  {S_STATE.format(lang)}: {info['state_dir']}",
        f"  {S_CA.format(lang)}: {ca}",
        f"    {S_TRUST.format(lang)}: export SSL_CERT_FILE={ca} REQUESTS_CA_BUNDLE={ca}",
        "",
        f"{S_GOOGLE.format(lang)}",
        f"  {S_AUTH.format(lang)}: {g['auth_uri']}",
        f"  {S_TOKEN.format(lang)}: {g['token_uri']}",
        f"  {S_WEB_CLIENT.format(lang)}: {g['client_secrets_web']}",
        f"    {S_REDIRECT.format(lang)}: {', '.join(g['web_redirect_uris'])}",
        f"  {S_DESKTOP_CLIENT.format(lang)}: {g['client_secrets_installed']}",
        "",
        f"{S_MICROSOFT.format(lang)}",
        f"  {S_AUTHORITY.format(lang)}: {m['authority']}",
        f"  {S_WEB_APP.format(lang)}: {m['web_client_id']}",
        f"    {S_REDIRECT.format(lang)}: {m['web_redirect_uri']}",
        f"    {S_SECRET_WHERE.format(lang, path=os.path.join(info['state_dir'], 'sandbox.json'))}",
        f"  {S_PUBLIC_APP.format(lang)}: {m['public_client_id']}",
        f"    {S_DEVICE_PAGE.format(lang)}: {m['device_verification_uri']}",
        "",
        f"{S_SMTP.format(lang)}",
        f"  {S_SMTP_PORTS.format(lang, host=s['host'], starttls=s['starttls_port'], ssl=s['ssl_port'])}",
        f"  {S_MAIL_API.format(lang, url=info.get('graph_url', info['base_url']))}",
        "",
        f"{S_USERS.format(lang)}",
    ]
    for u in info.get("user_details", []):
        if u["provider"] == "google":
            kind = S_GOOGLE_USER if u.get("test_user", True) else S_GOOGLE_NOT_TEST
        else:
            kind = S_MS_USER
        lines.append(f"  {S_USER_LINE.format(lang, email=u['email'], kind=kind)}")
    lines += [
        "",
        f"{S_MAILBOX.format(lang)}: {info['mailbox_url']}",
        f"  {S_MAILBOX_CLI.format(lang, dir=info['state_dir'])}",
        f"{S_INFO.format(lang)}: {os.path.join(info['state_dir'], 'sandbox.json')}",
    ]
    if os.environ.get("JUPYTERHUB_SERVICE_PREFIX"):
        lines += ["", f"{S_PROXY.format(lang)}",
                  f"  {S_MAILBOX.format(lang)}: {sb.public_url(info['mailbox_url'])}",
                  f"  {S_DEVICE_PAGE.format(lang)}: {sb.public_url(m['device_verification_uri'])}"]
    lines += ["", S_STOP.format(lang)]
    return "\n".join(lines)


S_DETACHED = Msg(en="Sandbox running in the background (process {pid}) for {dir}. Stop it with: "
                    "oauthmail sandbox --stop --state-dir {dir}",
                 ja="{dir} のサンドボックスをバックグラウンドで起動しました（プロセス {pid}）。止めるには: "
                    "oauthmail sandbox --stop --state-dir {dir}")
S_STOPPED_OTHER = Msg(en="Stopped the sandbox of {dir}.", ja="{dir} のサンドボックスを停止しました。")
S_NOT_RUNNING = Msg(en="No sandbox is running for {dir}. Start it with: oauthmail sandbox --state-dir {dir}",
                    ja="{dir} のサンドボックスは動いていません。起動するには: oauthmail sandbox --state-dir {dir}")
S_STATUS = Msg(en="Sandbox running for {dir} (process {pid}): {url}, SMTP {host}:{port}",
               ja="{dir} のサンドボックスが動いています（プロセス {pid}）: {url}、SMTP {host}:{port}")


def _lifecycle(args: argparse.Namespace) -> int:
    """``--detach``, ``--stop``, ``--status``: the folder's sandbox as a background process."""
    from pathlib import Path

    from ..paths import sandbox_dir
    from ..sandbox import lifecycle

    state = Path(args.state_dir).expanduser().resolve() if args.state_dir else sandbox_dir()
    if args.stop:
        print((S_STOPPED_OTHER if lifecycle.stop(state) else S_NOT_RUNNING).format(dir=str(state)))
        return 0
    if args.status:
        info = lifecycle.read_info(state) if lifecycle.is_running(state) else None
        if info is None:
            print(S_NOT_RUNNING.format(dir=str(state)))
            return 3
        print(S_STATUS.format(dir=str(state), pid=info.get("pid"), url=info.get("base_url"),
                              host=info["smtp"]["host"], port=info["smtp"]["starttls_port"]))
        return 0
    extra = ["--port-base", str(args.port_base)] if args.port_base is not None else []
    if getattr(args, "allow_remote", False):
        extra.append("--allow-remote")
    handle = lifecycle.start_detached(state, args.config, extra_args=extra)
    print(S_DETACHED.format(dir=str(state), pid=handle.info.get("pid")))
    return 0


def run(args: argparse.Namespace) -> int:
    import signal
    import sys
    import threading

    from ..errors import ConfigError, NetworkError
    from ..sandbox import Sandbox, SandboxConfig

    if getattr(args, "detach", False) or getattr(args, "stop", False) or getattr(args, "status", False):
        return _lifecycle(args)
    config = SandboxConfig.load(args.config, allow_remote=bool(getattr(args, "allow_remote", False)))
    if args.port_base is not None:
        base = int(args.port_base)
        if not 1024 <= base <= 65530:
            raise ConfigError(BAD_PORT_BASE, BAD_PORT_BASE_HINT, value=base, last=base + 3, code="port_base")
        config.http_port, config.ui_port = base, base + 1
        config.smtp_starttls_port, config.smtp_ssl_port = base + 2, base + 3
    sb = Sandbox(args.state_dir, config)
    try:
        sb.start()
    except OSError as exc:
        raise NetworkError(PORT_BUSY, PORT_BUSY_HINT, host=config.host, reason=exc.strerror or str(exc),
                           code="sandbox_port") from exc
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(summary(sb), flush=True)
        info_file = sb.state_dir / "sandbox.json"
        while not stop.wait(0.5):
            if not info_file.exists():  # the state folder was deleted (a test's, a class's): nothing to serve
                break
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sb.stop()
    print(S_STOPPED.format(dir=str(sb.state_dir)), file=sys.stderr, flush=True)
    return 0
