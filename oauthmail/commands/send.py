"""``oauthmail send``: one message through the account's SMTP server with its OAuth2 token."""

from __future__ import annotations

import sys

from ..errors import ConfigError
from ..i18n import Msg, pick
from ..i18n.labels import security_name
from . import add_account_option, add_ini_option

TYPE_CHECKING = False  # no ``typing`` import at run time (start-up time of the command)
if TYPE_CHECKING:
    import argparse
    from typing import Any

BODY_FILE = Msg(en="The body file {path} cannot be read ({reason}).", ja="本文ファイル {path} を読めません（{reason}）。")
BODY_FILE_HINT = Msg(en="Check the path and that it is UTF-8 text.", ja="パスと、UTF-8 のテキストであることを確認してください。")
BODY_TWICE = Msg(en="--body and --body-file were both given.", ja="--body と --body-file が両方指定されています。")
BODY_TWICE_HINT = Msg(en="Give only one of them (or pipe the body on stdin).",
                      ja="どちらか一方だけを指定してください（標準入力から本文を渡すこともできます）。")
SENT = Msg(en="sent {message_id} from {account} to {count} recipient(s) via {host}:{port} ({security}) in {elapsed:.2f}s",
           ja="{message_id} を送信しました（差出人 {account}、宛先 {count} 件、{host}:{port}・{security}、{elapsed:.2f} 秒）")
REFUSED_SOME = Msg(en="warning: the server refused these recipients: {refused}",
                   ja="警告: サーバーが次の宛先を拒否しました: {refused}")


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("send", help=pick("send one message with the OAuth2 token (XOAUTH2)",
                                                                  "OAuth2 のトークンでメールを 1 通送る（XOAUTH2）"),
                                                description=pick("Send one message with the account's OAuth2 token.",
                                                                 "アカウントの OAuth2 トークンを使って、メールを 1 通送ります。"))
    add_ini_option(p)
    add_account_option(p)
    p.add_argument("--to", action="append", default=[], help=pick("recipient (repeatable)",
                                                                  "宛先（繰り返し指定できる）"))
    p.add_argument("--cc", action="append", default=[], help=pick("Cc recipient (repeatable)",
                                                                  "Cc の宛先（繰り返し指定できる）"))
    p.add_argument("--bcc", action="append", default=[], help=pick("Bcc recipient (repeatable)",
                                                                   "Bcc の宛先（繰り返し指定できる）"))
    p.add_argument("--reply-to", help=pick("Reply-To address", "返信先（Reply-To）のアドレス"))
    p.add_argument("--subject", required=True, help=pick("the subject", "件名"))
    p.add_argument("--body", help=pick("the body text (else --body-file, else stdin)",
                                       "本文（指定しなければ --body-file、それもなければ標準入力から読む）"))
    p.add_argument("--body-file", help=pick("read the body from this UTF-8 file",
                                            "本文をこの UTF-8 のファイルから読む"))
    p.add_argument("--attach", action="append", default=[], metavar="FILE", help=pick("attach a file (repeatable)",
                                                                                      "ファイルを添付する（繰り返し指定できる）"))
    p.add_argument("--charset", default="utf-8", choices=("utf-8", "iso-2022-jp"),
                   help=pick("character set of the message (default utf-8)", "メールの文字コード（既定: utf-8）"))
    p.add_argument("--from-name", help=pick("display name for From", "差出人（From）の表示名"))
    p.add_argument("--smtp-host", help=pick("use this SMTP host instead of the INI's", "INI の SMTP ホストの代わりに使うホスト"))
    p.add_argument("--smtp-port", type=int, help=pick("use this SMTP port instead of the INI's", "INI の SMTP ポートの代わりに使うポート"))
    p.add_argument("--smtp-security", choices=("starttls", "ssl"),
                   help=pick("use this SMTP security instead of the INI's", "INI の SMTP の暗号化方式の代わりに使う方式"))
    p.add_argument("--mechanism", choices=("XOAUTH2", "OAUTHBEARER"), type=str.upper,
                   help=pick("SASL mechanism (default: the INI's, else XOAUTH2)", "SASL の認証方式（既定: INI の設定、なければ XOAUTH2）"))
    p.add_argument("--transport", choices=("smtp", "graph", "gmail-api"),
                   help=pick("smtp (XOAUTH2), graph (Microsoft Graph sendMail over HTTPS) or gmail-api (Gmail API over "
                        "HTTPS); default: the INI's transport, else smtp",
                             "送信方法: smtp（XOAUTH2）、graph（HTTPS で Microsoft Graph の sendMail）、gmail-api（HTTPS で Gmail API）。既定は INI の送信方法、なければ smtp"))
    p.add_argument("--api-url", help=pick("base URL of Graph or the Gmail API (default: INI graph_url / gmail_api_url)",
                                          "Graph または Gmail API のベース URL（既定: INI の graph_url または gmail_api_url）"))
    p.add_argument("--timeout", type=float, default=30,
                   help=pick("seconds to wait for the server (default 30)", "サーバーの応答を待つ秒数（既定: 30）"))
    p.add_argument("--debug", action="store_true", help=pick("print the SMTP conversation (masked) with timings to stderr",
                                                             "SMTP のやり取りを所要時間つきで標準エラー出力に表示する（秘密情報は伏せる）"))
    p.set_defaults(func=run)


def warn(text: str) -> None:
    """One ``warning:`` line on stderr, the keyword in English in every language (like error:/hint:)."""
    for prefix in ("warning:", "警告:"):
        if text.startswith(prefix):
            text = text[len(prefix):].lstrip()
    print(f"warning: {text}", file=sys.stderr)


def _body(args: argparse.Namespace) -> str:
    if args.body is not None and args.body_file:
        raise ConfigError(BODY_TWICE, BODY_TWICE_HINT, code="body_twice")
    if args.body is not None:
        return str(args.body)
    if args.body_file:
        try:
            with open(args.body_file, encoding="utf-8") as fh:
                return fh.read()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise ConfigError(BODY_FILE, BODY_FILE_HINT, path=args.body_file, reason=reason,
                              code="body_file") from None
    if sys.stdin is None or sys.stdin.isatty():
        return ""
    return sys.stdin.read()


def run(args: argparse.Namespace) -> int:
    from .. import tokenfile
    from ..errors import NetworkError, OAuthMailError
    from ..mailer import SendResult, chosen_transport, send_message
    from ..message import build_message
    from ..smtp import Transcript
    from . import trust_the_sandbox

    if args.ini:
        ini = args.ini
    else:
        from ..paths import default_ini

        ini = str(default_ini())
    tf = tokenfile.read(ini)
    for warning in tf.warnings:
        warn(warning)
    acc = tf.account(args.account)
    msg = build_message(sender=acc.email, sender_name=args.from_name, to=args.to, cc=args.cc, bcc=args.bcc,
                        reply_to=args.reply_to, subject=args.subject, body=_body(args), attachments=args.attach,
                        charset=args.charset)
    transcript = Transcript(echo=sys.stderr if args.debug else None)

    def attempt() -> SendResult:
        return send_message(tf, msg, account=acc.email, smtp_host=args.smtp_host, smtp_port=args.smtp_port,
                            smtp_security=args.smtp_security, mechanism=args.mechanism, debug=args.debug,
                            timeout=args.timeout, transcript=transcript,
                            transport=chosen_transport(acc, getattr(args, "transport", None)),
                            api_url=getattr(args, "api_url", None))

    try:
        try:
            result = attempt()
        except NetworkError as exc:  # an INI made with the sandbox, used from a terminal that does not trust it
            if exc.code != "tls_verify" or args.smtp_host or getattr(args, "api_url", None) \
                    or not trust_the_sandbox(ini, acc.email):
                raise
            for note in exc.warnings:  # e.g. "the sandbox was not running: started it"
                warn(note)
            result = attempt()
    except OAuthMailError as exc:
        if args.debug and exc.details:
            print(f"details: {exc.details}", file=sys.stderr)
        raise
    for warning in result.warnings:
        if warning not in tf.warnings:  # those were shown before sending
            warn(warning)
    if result.refused:
        warn(REFUSED_SOME(refused=", ".join(result.refused)))
    print(SENT(message_id=result.message_id, account=result.account, count=len(result.recipients) - len(result.refused),
               host=result.host, port=result.port, security=security_name(result.security), elapsed=result.elapsed))
    return 0
