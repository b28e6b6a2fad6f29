"""``oauthmail send``: one message through the account's SMTP server with its OAuth2 token."""

from __future__ import annotations

import sys

from ..errors import ConfigError
from ..i18n import Msg
from ..i18n.labels import security_name

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
    p: argparse.ArgumentParser = sub.add_parser("send", help="send one message with the OAuth2 token (XOAUTH2)",
                                                description="Send one message with the account's OAuth2 token.")
    p.add_argument("--ini", help="token INI (default: OAUTHMAIL_HOME/oauthmail.ini)")
    p.add_argument("--account", help="which account of the INI (default: its default account)")
    p.add_argument("--to", action="append", default=[], help="recipient (repeatable)")
    p.add_argument("--cc", action="append", default=[], help="Cc recipient (repeatable)")
    p.add_argument("--bcc", action="append", default=[], help="Bcc recipient (repeatable)")
    p.add_argument("--reply-to", help="Reply-To address")
    p.add_argument("--subject", required=True)
    p.add_argument("--body", help="the body text (else --body-file, else stdin)")
    p.add_argument("--body-file", help="read the body from this UTF-8 file")
    p.add_argument("--attach", action="append", default=[], metavar="FILE", help="attach a file (repeatable)")
    p.add_argument("--charset", default="utf-8", choices=("utf-8", "iso-2022-jp"))
    p.add_argument("--from-name", help="display name for From")
    p.add_argument("--smtp-host")
    p.add_argument("--smtp-port", type=int)
    p.add_argument("--smtp-security", choices=("starttls", "ssl"))
    p.add_argument("--mechanism", choices=("XOAUTH2", "OAUTHBEARER"), type=str.upper)
    p.add_argument("--transport", choices=("smtp", "graph", "gmail-api"),
                   help="smtp (XOAUTH2), graph (Microsoft Graph sendMail over HTTPS) or gmail-api (Gmail API over "
                        "HTTPS); default: the INI's transport, else smtp")
    p.add_argument("--api-url", help="base URL of Graph or the Gmail API (default: INI graph_url / gmail_api_url)")
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--debug", action="store_true", help="print the SMTP conversation (masked) with timings to stderr")
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
