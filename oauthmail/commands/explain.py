"""``oauthmail explain "TEXT"``: what an error text means and what to do, in Japanese or English.

Exit status 0 when the catalog recognises the text, 1 (with the honest "not recognised" text and
the generic checks) when it does not, so scripts can tell the two apart.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..i18n import Msg, pick
from ..i18n.labels import L_CAUSES, L_WHAT, L_WHERE
from ..i18n.labels import L_HINT as L_FIX
from ..secrets import printable
from . import add_json_option

L_CODE = Msg(en="Code", ja="コード")
L_DECODED = Msg(en="Server challenge (decoded)", ja="サーバーからの応答（デコード済み）")
EMPTY_INPUT = Msg(en="No error text was given.", ja="エラーの文章が指定されていません。")
NOT_TEXT = Msg(en="The text given on standard input is not UTF-8 (nor Shift_JIS) text.",
               ja="標準入力から渡された内容が UTF-8（または Shift_JIS）のテキストではありません。")
NOT_TEXT_HINT = Msg(
    en="Copy the error message itself (not a screenshot or a binary file) and pass it in quotes or pipe it in as text.",
    ja="エラーメッセージの文章そのもの（画像やバイナリファイルではなく）をコピーし、引用符で囲んで渡すか、テキストとして"
    "パイプで渡してください。",
)
EMPTY_INPUT_HINT = Msg(
    en="Pass the text in quotes (oauthmail explain \"535 5.7.139 ...\") or pipe it in with `-`.",
    ja="文章を引用符で囲んで渡すか（oauthmail explain \"535 5.7.139 ...\"）、`-` を付けて標準入力から渡してください。",
)


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "explain", help=pick("what an error message means and what to do",
                             "エラー メッセージの意味と対処方法を説明する"),
        description=pick("Explain an error text from Google, Microsoft, a mail server or the network (ja/en).",
                         "Google、Microsoft、メールサーバー、ネットワークが返したエラーの文面を説明します（日本語／英語）。"))
    p.add_argument("text", nargs="*", help=pick("the error text (or `-` to read it from stdin)",
                                                "エラーの文面（`-` なら標準入力から読む）"))
    add_json_option(p)
    p.add_argument("--lang", dest="explain_lang", choices=("en", "ja"), help=pick("language of the explanation",
                                                                                  "説明の言語"))
    p.set_defaults(func=run)


def render_text(d: dict[str, Any], lang: str | None) -> str:
    """The explanation as a person reads it on a console."""
    lines = [f"■ {d['title']}"]
    if d.get("code"):
        lines.append(f"{L_CODE.format(lang)}: {d['code']}")
    for challenge in d.get("decoded") or ():
        lines.append(f"{L_DECODED.format(lang)}: {printable(str(challenge))}")  # server-sent: no terminal control
    if d["recognised"]:
        lines += ["", f"{L_WHAT.format(lang)}:", f"  {d['what']}"]
        if d["causes"]:
            lines += ["", f"{L_CAUSES.format(lang)}:"] + [f"  - {c}" for c in d["causes"]]
    lines += ["", f"{L_FIX.format(lang)}:", f"  {d['fix']}"]
    if d.get("where"):
        lines += ["", f"{L_WHERE.format(lang)}:", f"  {d['where']}"]
    return "\n".join(lines)


def decode_input(data: bytes) -> str:
    """Piped text: UTF-8, else Shift_JIS (a message copied on a Japanese Windows), else a clean error."""
    from ..errors import ConfigError

    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ConfigError(NOT_TEXT, NOT_TEXT_HINT, code="explain_not_text")


def read_stdin() -> str:
    stream = getattr(sys.stdin, "buffer", None)
    return decode_input(stream.read()) if stream is not None else sys.stdin.read()


def run(args: argparse.Namespace) -> int:
    import json

    from ..errors import ConfigError
    from ..explain import decode_challenges, explain_text
    from ..i18n import current_language
    from ..secrets import redact

    parts: list[str] = list(args.text or [])
    text = read_stdin() if parts == ["-"] else " ".join(parts)
    if not text.strip():
        raise ConfigError(EMPTY_INPUT, EMPTY_INPUT_HINT, code="explain_empty")
    lang = args.explain_lang or getattr(args, "lang", None) or current_language()
    d = explain_text(text, lang)  # what oauthmail.explain(text) gives
    d["decoded"] = decode_challenges(text)
    if args.json:
        d["lang"] = lang
        d["input"] = redact(text)[:2000]
        print(json.dumps(d, ensure_ascii=False, indent=2))
    else:
        print(render_text(d, lang))
    return 0 if d["recognised"] else 1
