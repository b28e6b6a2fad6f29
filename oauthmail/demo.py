"""The whole path with no browser and no account: ``python -m oauthmail.demo`` (``make demo``).

A trainer's dry run and a newcomer's first look, in the terminal: start the sandbox, sign in
to its Google-like provider with the Web client of the source documents (the sandbox's simulated
user clicks Allow, and the redirect really goes to the kit's loopback listener), save the token
INI, send a Japanese test message with an attachment over STARTTLS and implicit TLS, and write
the setup record. Everything lands under ``OAUTHMAIL_HOME/demo``; no secret is printed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .i18n import Msg, current_language

STEP_SANDBOX = Msg(en="1. Sandbox started: sign-in at {url}, mail server {host}:{port}",
                   ja="1. サンドボックスを起動しました: サインインの URL {url}、メールサーバー {host}:{port}")
STEP_CONSENT = Msg(en="2. Signed in as {email} (the simulated user clicked Allow); token saved to {ini} (mode 600)",
                   ja="2. {email} としてサインインしました（模擬ユーザーが「許可」を押しました）。トークンを {ini} に保存しました（パーミッション 600）")
STEP_SENT = Msg(en="3. Sent over {security}: {message_id}",
                ja="3. {security} で送信しました: {message_id}")
STEP_MAILBOX = Msg(en="4. The sandbox mailbox holds {count} message(s); the newest: {subject}",
                   ja="4. サンドボックスのメールボックスに {count} 通あります。最新の件名: {subject}")
STEP_RECORD = Msg(en="5. Setup record: {path}", ja="5. セットアップ記録: {path}")
DONE = Msg(en="Done. Next: `make lab` walks through the same steps in a notebook, console by console.",
           ja="完了です。次は `make lab` で、同じ手順をノートブックでコンソールの画面ごとにたどれます。")
SUBJECT = Msg(en="oauthmail demo — 日本語の件名も大丈夫", ja="oauthmail デモ — 日本語の件名")
BODY = Msg(en="Sent by the oauthmail demo with an OAuth2 token (XOAUTH2).",
           ja="oauthmail のデモが OAuth2 トークン（XOAUTH2）で送信しました。")


def run(home: Path | None = None, user: str = "alice@example.com") -> int:
    """Run the demo; returns a process exit status."""
    from . import paths
    from .consent import load_google_client, run_consent, save_result, start_google
    from .mailer import send
    from .record import build_record, write_record
    from .sandbox import Sandbox

    base = home or paths.home() / "demo"
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    lang = current_language()
    with Sandbox(state_dir=base / "sandbox") as sb:
        os.environ.update(sb.env())  # trust the sandbox's CA, as a person would export SSL_CERT_FILE
        print(STEP_SANDBOX.format(lang, url=sb.base_url, host=sb.smtp_host, port=sb.smtp_starttls_port))
        flow = start_google(load_google_client(sb.client_secrets_web), email=user)
        result = run_consent(flow, open_browser=False, timeout=60, on_url=lambda url: sb.approve(url, user=user))
        ini = save_result(base / "demo.ini", result, email=user, make_default=True)
        print(STEP_CONSENT.format(lang, email=result.email, ini=ini))
        attachment = base / "hello.txt"
        attachment.write_text("こんにちは / hello\n", encoding="utf-8")
        last = None
        for security, port in (("starttls", sb.smtp_starttls_port), ("ssl", sb.smtp_ssl_port)):
            last = send(ini, to=user, subject=SUBJECT.format(lang), body=BODY.format(lang),
                        attachments=[str(attachment)], smtp_security=security, smtp_port=port)
            print(STEP_SENT.format(lang, security=security.upper(), message_id=last.message_id))
        messages = sb.mailbox.messages()
        print(STEP_MAILBOX.format(lang, count=len(messages), subject=messages[-1]["Subject"]))
        record = write_record(build_record(ini, send_result=last, lang=lang), base / "setup-record.md", lang=lang)
        print(STEP_RECORD.format(lang, path=record))
    print(DONE.format(lang))
    return 0


def main() -> int:
    """``python -m oauthmail.demo``: the demo, with the command's ``error:``/``hint:`` lines on failure."""
    from .cli import print_error
    from .errors import OAuthMailError

    try:
        return run()
    except OAuthMailError as exc:
        print_error(exc)
        return 1


if __name__ == "__main__":  # pragma: no cover - exercised by tests through a subprocess
    sys.exit(main())
