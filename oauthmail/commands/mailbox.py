"""``oauthmail mailbox``: list or read the messages the sandbox mail server delivered.

Works whether the sandbox runs or not: the messages are ``.eml`` files in ``mailbox_dir``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..i18n import Msg, pick

M_EMPTY = Msg(en="No message in {dir} yet.", ja="{dir} にはまだメールがありません。")
M_COLUMNS = Msg(en="#  Date | From | To | Subject", ja="#  日時 | 差出人 | 宛先 | 件名")
M_COUNT = Msg(en="{n} message(s) in {dir}. Read one with --show N.",
              ja="{dir} に {n} 通あります。--show N で 1 通を表示します。")
#: ``--show``'s header lines: the header's name in English, its meaning in Japanese (as the sandbox's page).
M_HEADERS = {
    "Date": Msg(en="Date", ja="日時"), "From": Msg(en="From", ja="差出人"), "To": Msg(en="To", ja="宛先"),
    "Cc": Msg(en="Cc", ja="Cc"), "Subject": Msg(en="Subject", ja="件名"),
    "X-Sandbox-Authenticated-User": Msg(en="X-Sandbox-Authenticated-User", ja="認証ユーザー"),
}
M_ATTACHMENTS = Msg(en="Attachments", ja="添付ファイル")
M_CLEARED = Msg(en="Deleted {n} message(s) from {dir}.", ja="{dir} から {n} 通を削除しました。")
M_NO_SUCH = Msg(en="There is no message number {n} (the mailbox holds {count}).",
                ja="{n} 番のメールはありません（メールボックスには {count} 通あります）。")
M_NO_SUCH_HINT = Msg(en="Run `oauthmail mailbox` to see the numbers.", ja="`oauthmail mailbox` で番号を確認してください。")
M_NO_MAILBOX = Msg(en="No sandbox mailbox at {dir}.", ja="{dir} にサンドボックスのメールボックスがありません。")
M_NO_MAILBOX_HINT = Msg(en="Start the sandbox (`oauthmail sandbox`) and send a message, or pass --state-dir.",
                        ja="サンドボックスを起動して（`oauthmail sandbox`）メールを送るか、--state-dir を指定してください。")


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "mailbox", help=pick("list or read the messages delivered to the sandbox",
                             "サンドボックスに届いたメールを一覧表示する、または読む"),
        description=pick("List or read the messages the sandbox mail server delivered (.eml files).",
                         "サンドボックスのメールサーバーに届いたメール（.eml ファイル）を一覧表示する、または読みます。"))
    p.add_argument("--state-dir", help=pick("the sandbox's state folder (default: OAUTHMAIL_HOME/sandbox)",
                                            "サンドボックスの状態フォルダー（既定: OAUTHMAIL_HOME/sandbox）"))
    p.add_argument("--show", type=int, metavar="N", help=pick("print message N (1 = oldest)",
                                                              "N 番目のメールを表示する（1 がいちばん古い）"))
    p.add_argument("--raw", action="store_true", help=pick("with --show: the whole .eml as delivered",
                                                           "--show と一緒に: 届いたままの .eml 全体を表示する"))
    p.add_argument("--json", action="store_true", help=pick("machine-readable list",
                                                            "一覧を JSON で出力する"))
    p.add_argument("--clear", action="store_true", help=pick("delete all delivered messages",
                                                             "届いたメールをすべて削除する"))
    p.set_defaults(func=run)


def mailbox_dir(state_dir: str | None) -> Path:
    """mailbox_dir from sandbox.json (running or stopped), else STATE/mailbox."""
    from ..paths import sandbox_dir

    state = Path(state_dir).expanduser() if state_dir else sandbox_dir()
    try:
        info = json.loads((state / "sandbox.json").read_text(encoding="utf-8"))
        return Path(info["mailbox_dir"])
    except (OSError, ValueError, KeyError, TypeError):
        return state / "mailbox"


def run(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ..i18n import current_language
    from ..sandbox.mailbox import Mailbox
    from ..sandbox.pages import mail_date, message_text

    directory = mailbox_dir(args.state_dir)
    if not directory.is_dir():
        raise ConfigError(M_NO_MAILBOX, M_NO_MAILBOX_HINT, dir=str(directory), code="no_mailbox")
    box = Mailbox(directory)
    if args.clear:
        print(M_CLEARED(n=box.clear(), dir=str(directory)))
        return 0
    paths = box.paths()
    if args.show is not None:
        msg = box.get(args.show)
        if msg is None:
            raise ConfigError(M_NO_SUCH, M_NO_SUCH_HINT, n=args.show, count=len(paths), code="no_message")
        if args.raw:
            print(paths[args.show - 1].read_bytes().decode("utf-8", "replace"))
            return 0
        lang = current_language()
        for key, label in M_HEADERS.items():
            if msg.get(key):
                print(f"{label(lang)}: {mail_date(msg[key], lang) if key == 'Date' else msg[key]}")
        names = [p.get_filename() for p in msg.iter_attachments()]
        if any(names):
            print(f"{M_ATTACHMENTS(lang)}: " + ", ".join(n for n in names if n))
        print()
        print(message_text(msg))
        return 0
    messages = [(i, box.get(i)) for i in range(1, len(paths) + 1)]
    if args.json:
        print(json.dumps([{"n": i, "file": str(paths[i - 1]), "date": m.get("Date"), "from": m.get("From"),
                           "to": m.get("To"), "subject": m.get("Subject"),
                           "authenticated_user": m.get("X-Sandbox-Authenticated-User")}
                          for i, m in messages if m is not None], ensure_ascii=False, indent=2))
        return 0
    if not messages:
        print(M_EMPTY(dir=str(directory)))
        return 0
    print(M_COLUMNS())
    for i, m in messages:
        if m is not None:
            print(f"{i:<2} {mail_date(m.get('Date', ''), current_language())} | {m.get('From', '')} | {m.get('To', '')} | "
                  f"{m.get('Subject', '')}")
    print(M_COUNT(n=len(messages), dir=str(directory)))
    return 0
