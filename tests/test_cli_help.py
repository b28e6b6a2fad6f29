"""``oauthmail --help`` and every sub-command's help in both languages, from the same place.

Each help text is written once as ``pick(english, japanese)`` where the option is added. The parser is
built in English and in Japanese and walked: every option and sub-command has a help in both, the
Japanese one is Japanese (not the English left over), the English one has no Japanese, and both use
the same ``%(...)s`` fields. A new option added with an English help only fails here.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from oauthmail import cli
from oauthmail.i18n import set_language

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
FIELD = re.compile(r"%\([a-z_]+\)s")


def parsers(parser: argparse.ArgumentParser, path: str = "oauthmail") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from parsers(sub, f"{path} {name}")


def texts(lang: str) -> dict[str, str | None]:
    """Every help and description of the whole command, keyed by where it is shown."""
    set_language(lang)
    try:
        found: dict[str, str | None] = {}
        for path, parser in parsers(cli.build_parser()):
            found[f"{path}: description"] = parser.description
            for action in parser._actions:
                if isinstance(action, argparse._SubParsersAction):
                    for choice in action._choices_actions:
                        found[f"{path} {choice.dest}: help in the list"] = choice.help
                elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
                    found[f"{path} {'/'.join(action.option_strings) or action.dest}"] = action.help
        return found
    finally:
        set_language(None)


def test_every_help_is_written_in_both_languages() -> None:
    english, japanese = texts("en"), texts("ja")
    assert english.keys() == japanese.keys()
    assert len(english) > 150  # every sub-command was registered
    problems = []
    for where, en in english.items():
        ja = japanese[where]
        if where.endswith(": description") and en is None and ja is None:
            continue
        if not en or not ja:
            problems.append(f"{where}: no help (write help=pick(english, japanese))")
        elif not JAPANESE.search(ja) or ja == en:
            problems.append(f"{where}: the Japanese help is English: {ja!r}")
        elif JAPANESE.search(en):
            problems.append(f"{where}: the English help has Japanese in it: {en!r}")
        elif sorted(FIELD.findall(en)) != sorted(FIELD.findall(ja)):
            problems.append(f"{where}: different %(…)s fields in en and ja")
    assert not problems, "\n".join(problems)


def test_argparse_own_words_follow_the_language() -> None:
    set_language("ja")
    try:
        parser = cli.build_parser("send")
        text = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices["send"].format_help()
    finally:
        set_language(None)
    assert text.startswith("使い方: oauthmail send")
    assert "オプション:" in text and "このヘルプを表示して終了する" in text and "件名" in text
    assert "usage:" not in text and "options:" not in text and "show this help" not in text
    english = next(a for a in cli.build_parser("send")._actions
                   if isinstance(a, argparse._SubParsersAction)).choices["send"].format_help()
    assert english.startswith("usage: oauthmail send") and "show this help message and exit" in english


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("OAUTHMAIL_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}
    return subprocess.run([sys.executable, "-m", "oauthmail", *args], capture_output=True, text=True,
                          env={**clean, "COLUMNS": "100", **env}, timeout=60)


@pytest.mark.parametrize(("args", "env"), [
    (["--lang", "ja", "--help"], {}),
    (["--lang=ja", "send", "--help"], {}),
    (["doctor", "--lang", "ja", "--help"], {}),
    (["consent", "microsoft", "--help"], {"LANG": "ja_JP.UTF-8"}),
    (["--help"], {"OAUTHMAIL_LANG": "ja"}),
])
def test_help_is_japanese_from_the_command_line(args: list[str], env: dict[str, str]) -> None:
    done = _run(args, **env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("使い方: oauthmail"), done.stdout[:200]
    assert "オプション:" in done.stdout and "show this help" not in done.stdout


def test_help_stays_english_by_default() -> None:
    done = _run(["consent", "microsoft", "--help"], LANG="C.UTF-8")
    assert done.returncode == 0 and done.stdout.startswith("usage: oauthmail consent microsoft")
    assert not JAPANESE.search(done.stdout), done.stdout


def test_a_missing_option_in_japanese_says_usage_once() -> None:
    done = _run(["--lang", "ja", "send", "--to", "a@example.com"])
    assert done.returncode == 2
    assert done.stderr.count("使い方:") == 1 and "usage:" not in done.stderr
    assert "error: 次の引数が必要です: --subject" in done.stderr


def _columns(line: str) -> int:
    from unicodedata import east_asian_width

    return sum(2 if east_asian_width(c) in ("W", "F") else 1 for c in line)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_help_fits_the_terminal(monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    """A kanji takes two columns: the Japanese help is wrapped by what the terminal shows (ASCII lines
    are argparse's own: a usage group it cannot break may overflow in English too)."""
    monkeypatch.setenv("COLUMNS", "80")
    set_language(lang)
    try:
        too_wide = [f"{path}: {line}" for path, parser in parsers(cli.build_parser())
                    for line in parser.format_help().splitlines() if _columns(line) > 78 and not line.isascii()]
    finally:
        set_language(None)
    assert not too_wide, "\n".join(too_wide)


def test_wrap_keeps_japanese_punctuation_off_the_line_start() -> None:
    lines = cli.wrap_wide("あいうえお、かきくけこ（HTTPS）さしすせそ", 10)
    assert all(not line.startswith(("、", "）")) and not line.endswith("（") for line in lines), lines
    assert "".join(lines) == "あいうえお、かきくけこ（HTTPS）さしすせそ"
    assert cli.wrap_wide("one two three", 7) == ["one two", "three"]
