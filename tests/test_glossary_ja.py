"""Japanese text follows docs/glossary.ja.md: no "don't use" form anywhere a Japanese reader looks
(ja notebooks as built, README.ja.md, docs/*.ja.md, every Japanese string under oauthmail/), and one
style for spaces, units, slashes, brackets and line breaks.

A failure names the place, the form found and the form to write instead, so whoever wrote the text
can fix it without reading this file.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.jatexts import ROOT, Text, all_texts, document_texts, prose

GLOSSARY = ROOT / "docs" / "glossary.ja.md"
_FORM = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Rule:
    english: str
    use_text: str  # the 「使う」 cell as a person reads it
    use: tuple[str, ...]
    avoid: tuple[str, ...]
    quotable: tuple[str, ...]


def load_rules(path: Path = GLOSSARY) -> list[Rule]:
    """The rows of the table under 「## 用語」: forms are the parts in backticks."""
    text = path.read_text(encoding="utf-8")
    section = text.split("## 用語", 1)[1].split("\n## ", 1)[0]
    rules = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in ("英語", "---") or set(cells[0]) <= {"-"}:
            continue
        english, use, avoid, _note, quotable = cells
        rules.append(Rule(english, use.replace("`", ""), tuple(_FORM.findall(use)), tuple(_FORM.findall(avoid)),
                          tuple(_FORM.findall(quotable))))
    return rules


def glossary_problems(texts: list[Text], rules: list[Rule]) -> list[str]:
    problems = []
    for t in texts:
        for rule in rules:
            if not rule.avoid or t.text.strip() in {q.strip("「」") for q in rule.quotable}:
                continue  # (a button label on its own, e.g. the sandbox's 「承諾」)
            masked = t.text
            # Longest first, so "ブラウザー" is hidden before "ブラウザ" is looked for.
            for keep in sorted((*rule.use, *rule.quotable), key=len, reverse=True):
                masked = masked.replace(keep, "\0" * len(keep))
            for bad in rule.avoid:
                for m in re.finditer(re.escape(bad), masked):
                    context = t.text[max(0, m.start() - 15):m.end() + 15].replace("\n", " ")
                    problems.append(f"{t.locate(m.start())}: 「{bad}」→ {rule.use_text} ({rule.english}; "
                                    f"docs/glossary.ja.md) … {context} …  [edit {t.source}]")
    return problems


_KANA_KANJI = "\u3041-\u30fa\u30fc-\u30ff\u4e00-\u9fff"  # not 「・」 (U+30FB), which sits between words
_STYLE = [
    (re.compile(r"(?<![\w/.:=-])\d{2,5}/\d{2,5}(?![\w/])"),
     "port numbers offered as a choice take the full-width 「／」 (「587／465」), a half-width / is for paths"),
    (re.compile(rf"[{_KANA_KANJI}][A-Za-z0-9]|[A-Za-z0-9][{_KANA_KANJI}]"),
     "put a half-width space between Japanese and ASCII (「7 日」「その後 `invalid_grant`」「Gmail の」)"),
    (re.compile(r"[0-9\0] ?ms\b"), "write 「ミリ秒」 after a number, not ms (「120 ミリ秒」)"),
    (re.compile(rf"[{_KANA_KANJI}、。）」] ?/|/ ?[{_KANA_KANJI}（「]| / "),
     "choices in a Japanese sentence take the full-width 「／」 without spaces (「587／465」)"),
    (re.compile(rf"[{_KANA_KANJI}、。] ?\(|\) ?[{_KANA_KANJI}、。]"),
     "brackets in a Japanese sentence are full-width （…）, even around ASCII (「（HTTPS）」)"),
    (re.compile(r"」 →|→ 「"), "a console path's arrows touch the quoted labels: 「Entra ID」→「アプリの登録」→ 対象のアプリ"),
]
#: Console labels quoted exactly as Microsoft writes them (half-width brackets included).
#: "English / 日本語": a label given in both languages on purpose.
_BILINGUAL = re.compile(rf"(?:^|\n|[（(「])[A-Za-z][\w ().-]* / [{_KANA_KANJI}]")
_BILINGUAL_TEXTS = ("こんにちは / hello", "text / UTF-8")
_QUOTED_LABELS = ("アプリケーション (クライアント) ID", "ディレクトリ (テナント) ID")


def style_problems(texts: list[Text]) -> list[str]:
    problems = []
    for t in texts:
        text = plain = prose(t.text)
        for label in (*_QUOTED_LABELS, *_BILINGUAL_TEXTS):
            text = text.replace(label, "\0" * len(label))
        for pattern, what in _STYLE:
            for m in pattern.finditer(text):
                if m.group(0) == " / " and _BILINGUAL.search(plain, 0, m.end() + 1):
                    continue
                context = t.text[max(0, m.start() - 15):m.end() + 15].replace("\n", " ")
                problems.append(f"{t.locate(m.start())}: {what} … {context} …  [edit {t.source}]")
    return problems


_CJK_END = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]$")
_BLOCK_START = re.compile(r"^\s*(?:[-*+] |#|>|\||```|\d+[.)] |!\[|<|$)")


def wrapped_sentence_problems(texts: list[Text]) -> list[str]:
    """A line break inside a Japanese sentence of a Markdown document renders as a stray space."""
    problems = []
    for t in texts:
        lines = t.text.split("\n")
        in_fence = False
        for n, (prev, line) in enumerate(itertools.pairwise(lines), start=1):
            if prev.lstrip().startswith("```"):
                in_fence = not in_fence
            if in_fence or prev.lstrip().startswith(("|", "#")):
                continue
            if _CJK_END.search(prev) and not _BLOCK_START.match(line):
                problems.append(f"{t.where}:{n}: a sentence continues on the next line; join the lines "
                                f"(… {prev[-20:]} ⏎ {line[:20]} …)")
    return problems


def nested_bracket_problems(texts: list[Text]) -> list[str]:
    """Full-width brackets inside full-width brackets (表記ルール「括弧の入れ子」)."""
    problems = []
    for t in texts:
        text, depth = prose(t.text), 0
        for i, ch in enumerate(text):
            if ch == "（":
                depth += 1
                if depth == 2:
                    context = t.text[max(0, i - 20):i + 20].replace("\n", " ")
                    problems.append(f"{t.locate(i)}: brackets inside brackets; end the inner part with 「: 」 or "
                                    f"rewrite the sentence … {context} …  [edit {t.source}]")
            elif ch == "）":
                depth = max(0, depth - 1)
            elif ch == "\n" and t.markdown and text[i + 1:i + 2] == "\n":
                depth = 0  # a new paragraph
    return problems


def test_no_brackets_inside_brackets(texts: list[Text]) -> None:
    problems = nested_bracket_problems(texts)
    assert not problems, "\n".join(problems)
    planted = [Text("x.py:1", "クライアントのページ（「クライアント」（旧「認証情報」）→「追加」）", "x.py", False)]
    assert len(nested_bracket_problems(planted)) == 1


@pytest.fixture(scope="module")
def texts() -> list[Text]:
    return all_texts()


def test_glossary_table_is_read() -> None:
    rules = {r.english: r for r in load_rules()}
    assert len(rules) >= 20
    assert rules["setup record"].use == ("セットアップ記録",) and rules["setup record"].avoid == ("設定記録",)
    assert "ブラウザ" in rules["browser"].avoid
    assert all(r.use for r in rules.values())


def test_no_dont_use_form_anywhere(texts: list[Text]) -> None:
    assert len(texts) > 500  # notebooks, README, and the strings under oauthmail/ were all found
    problems = glossary_problems(texts, load_rules())
    assert not problems, "Japanese text uses a form docs/glossary.ja.md says not to use:\n" + "\n".join(problems)


def test_the_checker_finds_and_names_a_planted_form() -> None:
    rules = load_rules()
    planted = [Text("x.py:1", "ブラウザで開き、設定記録を書き出します。ブラウザーは閉じません。", "x.py", False),
               Text("y.py:1", "「承認済みのリダイレクト URI」と、Microsoft の「承諾」ボタン。", "y.py", False)]
    found = glossary_problems(planted, rules)
    assert len(found) == 2, found
    assert any("「ブラウザ」→ ブラウザー" in p and p.startswith("x.py:1") for p in found)
    assert any("「設定記録」→ セットアップ記録" in p for p in found)


def test_the_style_check_finds_a_half_width_port_pair() -> None:
    found = style_problems([Text("x.py:1", "外向きの 587/465 が許可されているか確認します。", "x.py", False),
                            Text("y.py:1", "外向きの 587／465 番ポート（https://example.com/587/465 は URL）。", "y.py", False)])
    assert len(found) == 1 and found[0].startswith("x.py:1") and "587／465" in found[0], found


def test_japanese_style(texts: list[Text]) -> None:
    problems = style_problems(texts)
    assert not problems, "Japanese text breaks a rule of docs/glossary.ja.md (表記ルール):\n" + "\n".join(problems)


def test_style_checker_catches_each_rule() -> None:
    planted = [Text("z.py:1", t, "z.py", False) for t in
               ("その後`invalid_grant`になります", "7日で切れます", "応答まで 12 ms です", "587/465 番",
                "SMTP (587) で送る", "「アプリケーション (クライアント) ID」をコピー")]
    found = style_problems(planted)
    assert [p.split(":")[0] for p in found] == ["z.py"] * 6, found  # 「587/465 番」 breaks two rules


def test_style_checker_catches_a_spaced_arrow() -> None:
    found = style_problems([Text("p.py:1", "「Entra ID」→「アプリの登録」 → 対象のアプリ", "p.py", False),
                            Text("q.py:1", "「Entra ID」→「アプリの登録」→ 対象のアプリ →「認証」", "q.py", False)])
    assert [p.split(":")[0] for p in found] == ["p.py"], found


def test_japanese_documents_have_no_line_breaks_inside_sentences() -> None:
    problems = wrapped_sentence_problems(list(document_texts()))
    assert not problems, "\n".join(problems)
