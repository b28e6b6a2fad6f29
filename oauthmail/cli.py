"""The ``oauthmail`` command (contract in DESIGN.md).

Each sub-command lives in ``oauthmail/commands/<name>.py`` with two functions:
``register(subparsers)`` adds its parser (cheap: argparse only, no heavy import) and sets
``func`` to a ``run(args) -> int`` that imports what it needs. A failure a person can meet is an
:class:`~oauthmail.errors.OAuthMailError`: printed as one ``error:`` and one ``hint:`` line on
stderr, exit status 1 — never a traceback (``OAUTHMAIL_TRACEBACK=1`` adds one for developers).
"""

from __future__ import annotations

import os
import sys


def _no_argparse_catalogue() -> bool:
    """Whether no ``argparse.mo`` exists for the person's languages (the standard library ships none)."""
    langs = {"en"}
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for value in os.environ.get(var, "").split(":"):
            code = value.split(".")[0].split("@")[0]
            langs |= {code, code.split("_")[0]} - {""}
    base = os.path.join(sys.base_prefix, "share", "locale")
    return not any(os.path.exists(os.path.join(base, lang, "LC_MESSAGES", "argparse.mo")) for lang in langs)


def _same_text(text: str) -> str:
    return text


def _same_plural(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


# Start-up time of every command: argparse passes each of its words through gettext (importing it
# compiles its plural-forms tokenizer; each look-up stats catalogue paths and the first imports
# locale). With no catalogue for argparse the answer is always the word itself, so a process that
# starts with the command imports argparse with those two functions as they would behave.
if "argparse" not in sys.modules and "gettext" not in sys.modules and _no_argparse_catalogue():
    _gettext_stand_in = type(sys)("gettext")
    _gettext_stand_in.gettext = _same_text  # type: ignore[attr-defined]
    _gettext_stand_in.ngettext = _same_plural  # type: ignore[attr-defined]
    sys.modules["gettext"] = _gettext_stand_in
    try:
        import argparse
    finally:
        del sys.modules["gettext"]  # anyone importing gettext later gets the real module
else:
    import argparse

from . import __version__  # noqa: E402
from .errors import OAuthMailError  # noqa: E402
from .i18n import Msg, current_language, pick, set_language  # noqa: E402
from .secrets import printable, redact  # noqa: E402

TYPE_CHECKING = False  # start-up time: no ``typing`` (nor ``importlib``, ``shutil``) on the way to a command
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, NoReturn, TextIO

#: Sub-commands in the order ``--help`` lists them.
COMMANDS = ("sandbox", "mailbox", "register", "unregister", "consent", "send", "token", "doctor", "explain", "record",
            "export", "relay", "class")

#: Commands whose module name differs from the command (``class`` is a Python keyword).
MODULES = {"class": "class_"}

UNEXPECTED = Msg(
    en="Unexpected problem: {name}: {text}",
    ja="想定外の問題が起きました: {name}: {text}",
)
UNEXPECTED_HINT = Msg(
    en="This is probably a bug in oauthmail. Run again with OAUTHMAIL_TRACEBACK=1 and report the output "
    "(it contains no token).",
    ja="oauthmail の不具合と思われます。OAUTHMAIL_TRACEBACK=1 を付けて再実行し、その出力を報告してください"
    "（トークンは含まれません）。",
)
INTERRUPTED = Msg(en="Stopped (Ctrl-C).", ja="中断しました（Ctrl-C）。")
INTERRUPTED_HINT = Msg(en="Nothing was sent after the interruption. Run the command again when ready.",
                       ja="中断後は何も送信していません。準備ができたらもう一度実行してください。")


def _wanted_command(argv: Sequence[str]) -> str | None:
    """The sub-command named on the command line, so only its module is imported (start-up time)."""
    skip_next = False
    for arg in argv:
        if skip_next:
            skip_next = False
            continue
        if arg == "--lang":
            skip_next = True
            continue
        if arg.startswith("-"):
            continue
        return arg if arg in COMMANDS else None
    return None


def terminal_columns() -> int:
    """``shutil.get_terminal_size().columns`` without importing :mod:`shutil` (it pulls bz2, lzma…).

    argparse asks for the width on every ``add_argument``; the same rules: ``COLUMNS``, else the
    terminal of ``sys.__stdout__``, else 80.
    """
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        stdout = sys.__stdout__
        try:
            if stdout is None:
                raise AttributeError("no stdout")
            size = os.get_terminal_size(stdout.fileno())
        except (AttributeError, ValueError, OSError):
            size = os.terminal_size((80, 24))
        columns = size.columns or 80
    return columns


#: Japanese punctuation a line may not start with (closing) or end with (opening): 禁則処理.
_NO_LINE_START = set("、。，）」』】：！？ー・…々,.:;!?)]")
_NO_LINE_END = set("（「『【([")


def wrap_wide(text: str, width: int) -> list[str]:
    """``textwrap.wrap`` for text with full-width characters: widths as a terminal shows them (2 for
    a kanji), a break allowed between two Japanese characters, and none before 「、」「）」 or after 「（」.
    """
    from .i18n.width import display_width, is_wide

    units: list[str] = []  # pieces no line break may cut; "" stands for a space
    for ch in " ".join(text.split()):
        last = units[-1] if units else ""
        if ch == " ":
            units.append("")
        elif last and (ch in _NO_LINE_START or last[-1] in _NO_LINE_END
                       or not (is_wide(ch) or is_wide(last[-1]))):
            units[-1] += ch
        else:
            units.append(ch)
    lines: list[str] = []
    line, used, space = "", 0, False
    for unit in units:
        if not unit:
            space = bool(line)
            continue
        size = display_width(unit)
        if line and used + space + size > width:
            lines.append(line)
            line, used = unit, size
        else:
            line, used = line + " " * space + unit, used + space + size
        space = False
    return [*lines, line] if line else lines


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, measuring the terminal with :func:`terminal_columns`; Japanese help is
    wrapped by :func:`wrap_wide` (textwrap counts a kanji as one column and breaks only at spaces).
    """

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         terminal_columns() - 2 if width is None else width)

    def _format_usage(self, usage: str | None, actions: Any, groups: Any, prefix: str | None) -> str:
        if prefix is None and current_language() == "ja":  # 「使い方: 」 takes 8 columns, as "usage:  " does
            return super()._format_usage(usage, actions, groups, "usage:  ").replace("usage:  ", "使い方: ", 1)
        return super()._format_usage(usage, actions, groups, prefix)

    def _split_lines(self, text: str, width: int) -> list[str]:
        return super()._split_lines(text, width) if text.isascii() else wrap_wide(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.isascii():
            return super()._fill_text(text, width, indent)
        return "\n".join(indent + line for line in wrap_wide(text, width - len(indent)))


USAGE_HINT = Msg(en="See `{prog} --help` for the options.", ja="`{prog} --help` で指定できる引数を確認してください。")

#: argparse's own error texts (Python 3.10-3.13) in Japanese: (English start, Japanese template).
_ARGPARSE_JA = (
    ("the following arguments are required: ", "次の引数が必要です: {rest}"),
    ("unrecognized arguments: ", "この引数は使えません: {rest}"),
    ("one of the arguments ", "次の引数のどれか 1 つが必要です: {rest}"),
    ("expected one argument", "値を 1 つ指定してください"),
    ("expected at least one argument", "値を 1 つ以上指定してください"),
    ("ignored explicit argument ", "この値は使えません: {rest}"),
    ("invalid choice: ", "{rest}"),
    ("invalid int value: ", "整数ではありません: {rest}"),
    ("invalid float value: ", "数値ではありません: {rest}"),
    ("not allowed with argument ", "次の引数と一緒には指定できません: {rest}"),
)


def argparse_message_ja(message: str) -> str:
    """argparse's error in Japanese (「引数 --for: …」); an unknown text is shown as it is."""
    head, sep, rest = message.partition(": ") if message.startswith("argument ") else ("", "", message)
    where = f"引数 {head[len('argument '):]}: " if sep else ""
    for english, japanese in _ARGPARSE_JA:
        if rest.startswith(english):
            tail = rest[len(english):]
            if english == "invalid choice: ":  # "'x' (choose from a, b)"
                value, _, choices = tail.partition(" (choose from ")
                tail = f"{value} は選べません（選べるのは {choices.rstrip(')').replace(', ', '、')}）" if choices else tail
            elif english == "one of the arguments ":
                tail = tail.removesuffix(" is required")
            return where + japanese.format(rest=tail)
    return message


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser with :class:`HelpFormatter` by default (sub-command parsers inherit it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        """argparse's ``usage:`` and ``error:`` lines, in Japanese under ``--lang ja``, then a ``hint:``."""
        japanese = current_language() == "ja"
        print(self.format_usage(), end="", file=sys.stderr)  # 「使い方:」 in Japanese (HelpFormatter)
        print(f"error: {argparse_message_ja(message) if japanese else message}", file=sys.stderr)
        print(f"hint: {USAGE_HINT(prog=self.prog)}", file=sys.stderr)
        sys.exit(2)


#: The words argparse writes itself into ``--help`` and ``usage:`` (Python 3.10-3.13), in Japanese.
ARGPARSE_WORDS_JA = {
    "positional arguments": "引数",
    "options": "オプション",
    "optional arguments": "オプション",
    "show this help message and exit": "このヘルプを表示して終了する",
}


class _ArgparseWords:
    """argparse's ``_`` (gettext): the Japanese of :data:`ARGPARSE_WORDS_JA` under Japanese, else as before.

    argparse looks ``_`` up when it builds a parser and when it formats usage, so the language chosen
    with ``--lang`` or the locale is the one in force. Its error texts go on through unchanged
    (:func:`argparse_message_ja` translates them in :meth:`ArgumentParser.error`).
    """

    def __init__(self, previous: Any) -> None:
        self.previous = previous

    def __call__(self, text: str) -> str:
        if current_language() == "ja":
            japanese = ARGPARSE_WORDS_JA.get(text)
            if japanese is not None:
                return japanese
        return str(self.previous(text))


def _argparse_speaks_the_language() -> None:
    if not isinstance(argparse._, _ArgparseWords):  # type: ignore[attr-defined]
        argparse._ = _ArgparseWords(argparse._)  # type: ignore[attr-defined]


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only``, just that sub-command is registered (the others stay unimported).

    Help texts are in the language in force when it is built (``--lang``, ``OAUTHMAIL_LANG``, the locale).
    """
    _argparse_speaks_the_language()
    parser = ArgumentParser(
        prog="oauthmail",
        description=pick("Send mail through Gmail or Microsoft 365 with OAuth2 (XOAUTH2), set up and checked "
                         "step by step.",
                         "OAuth2（XOAUTH2）で Gmail や Microsoft 365 からメールを送るためのキットです。設定から"
                         "送信の確認まで、一歩ずつ進められます。"),
    )
    parser.add_argument("--version", action="version", version=f"oauthmail {__version__}",
                        help=pick("show the version and exit", "バージョンを表示して終了する"))
    parser.add_argument("--lang", choices=("en", "ja"),
                        help=pick("language of messages and help (default: from OAUTHMAIL_LANG, else LANG)",
                                  "メッセージとヘルプの言語（既定では環境変数 OAUTHMAIL_LANG、なければ LANG で決まる）"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in (only,) if only else COMMANDS:
        qualified = f"oauthmail.commands.{MODULES.get(name, name)}"
        try:
            __import__(qualified)  # not importlib.import_module: importlib costs start-up time
        except ModuleNotFoundError as exc:  # a command not built yet must not break the others
            if exc.name == qualified:
                continue
            raise
        sys.modules[qualified].register(sub)
    return parser


def print_error(exc: OAuthMailError, stream: TextIO | None = None) -> None:
    """The two lines a person reads: ``error:`` what happened, ``hint:`` what to do."""
    out = stream or sys.stderr
    print(f"error: {exc.what()}", file=out)
    print(f"hint: {exc.hint()}", file=out)


def _argparse_without_catalog() -> None:
    """The same for a process that imported argparse before (a kernel, a test): its look-ups are skipped."""
    gettext = sys.modules.get("gettext")
    if gettext is not None and getattr(argparse, "_", None) is getattr(gettext, "gettext", None) \
            and _no_argparse_catalogue():
        argparse._ = _same_text  # type: ignore[attr-defined]
        argparse.ngettext = _same_plural  # type: ignore[attr-defined]


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    _argparse_without_catalog()
    # argparse's own errors and --help come before the arguments are parsed.
    if "--lang" in arguments[:-1]:
        set_language(arguments[arguments.index("--lang") + 1])
    elif any(a.startswith("--lang=") for a in arguments):
        set_language(next(a for a in arguments if a.startswith("--lang="))[len("--lang="):])
    parser = build_parser(_wanted_command(arguments))
    args = parser.parse_args(arguments)
    if args.lang:
        set_language(args.lang)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        result = args.func(args)
        return int(result or 0)
    except OAuthMailError as exc:
        print_error(exc)
        _developer_traceback()
        return 1
    except KeyboardInterrupt:
        print(f"error: {INTERRUPTED()}", file=sys.stderr)
        print(f"hint: {INTERRUPTED_HINT()}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # the last line of defence: no traceback, no secret
        text = printable(redact(str(exc)))[:300]
        print(f"error: {UNEXPECTED(name=type(exc).__name__, text=text)}", file=sys.stderr)
        from .explain import hint_for  # a known error text we failed to wrap still gets its real fix

        print(f"hint: {hint_for(f'{type(exc).__name__}: {text}') or UNEXPECTED_HINT()}", file=sys.stderr)
        _developer_traceback()
        return 1


def _developer_traceback() -> None:
    if os.environ.get("OAUTHMAIL_TRACEBACK"):
        import traceback

        traceback.print_exc()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
