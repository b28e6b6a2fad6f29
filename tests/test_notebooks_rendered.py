"""The Japanese (and English) notebooks and README as a reader sees them: rendered with CommonMark rules
(markdown-it-py; JupyterLab's marked follows the same emphasis rules), no literal ``**`` or stray ``*`` left
over from emphasis that did not open or close, and no gap the source's line wraps put inside a sentence.

The source can look right and still render wrong: 「の**「送信方法」**で」 is not bold in CommonMark, because
an opening ``**`` between a kana and a 「 is not left-flanking. So this test reads the HTML, not the source.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parent.parent
NAMES = sorted(p.name for p in (ROOT / "notebooks" / "ja").glob("*.ipynb"))


def render(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(markdown)


_CODE = re.compile(r"<(code|pre)[^>]*>.*?</\1>", re.S)
_TAG = re.compile(r"<[^>]+>")


def visible_text(rendered: str) -> str:
    """What the reader sees outside code: tags removed, entities decoded."""
    return html.unescape(_TAG.sub("", _CODE.sub(" ", rendered)))


def leftover_emphasis(markdown: str) -> list[str]:
    """Pieces of visible text where an emphasis marker was printed literally."""
    text = visible_text(render(markdown))
    return [text[max(0, m.start() - 20):m.end() + 20].replace("\n", " ")
            for m in re.finditer(r"\*\*|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])", text)]


def _cells(lang: str, name: str) -> list[str]:
    nb = json.loads((ROOT / "notebooks" / lang / name).read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]


def test_the_check_sees_broken_bold() -> None:
    assert leftover_emphasis("上の **「送信方法」** で選びます。") == []
    assert leftover_emphasis("上の**「送信方法」**で選びます。")  # CommonMark: not bold
    assert leftover_emphasis("公開ステータスは **「テスト中」**です。")  # closing after 」 before kana


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("name", NAMES)
def test_no_literal_emphasis_markers_in_rendered_notebook(lang: str, name: str) -> None:
    problems = [f"cell {i}: … {piece} …" for i, cell in enumerate(_cells(lang, name))
                for piece in leftover_emphasis(cell)]
    assert not problems, (f"{lang}/{name}: emphasis that renders as literal asterisks (put a half-width space "
                          "outside ** where it touches Japanese punctuation; see docs/glossary.ja.md):\n"
                          + "\n".join(problems))


def test_no_literal_emphasis_markers_in_japanese_documents() -> None:
    for path in [ROOT / "README.ja.md", *sorted((ROOT / "docs").glob("*.ja.md"))]:
        assert not leftover_emphasis(path.read_text(encoding="utf-8")), path.name


def soft_break_gaps(markdown: str) -> list[str]:
    """Line breaks inside a paragraph between two Japanese characters: they render as a space."""
    jp = re.compile(r"[\u3041-\u30fa\u30fc-\u30ff\u4e00-\u9fff\u3001\u3002\u300c\u300d\uff08\uff09]")
    gaps = []
    for token in MarkdownIt("commonmark").enable("table").parse(markdown):
        kids = token.children or []
        for before, brk, after in zip(kids, kids[1:], kids[2:], strict=False):
            if (brk.type == "softbreak" and before.content and after.content
                    and jp.match(before.content[-1]) and jp.match(after.content[0])):
                gaps.append(f"{before.content[-15:]}⏎{after.content[:15]}")
    return gaps


def test_the_gap_check_sees_a_wrapped_sentence() -> None:
    assert soft_break_gaps("ポートを\n塞いでいる") == ["ポートを⏎塞いでいる"]
    assert soft_break_gaps("- 一つ目\n- 二つ目") == []


@pytest.mark.parametrize("name", NAMES)
def test_no_gap_inside_japanese_sentences_after_rendering(name: str) -> None:
    gaps = [f"cell {i}: {g}" for i, cell in enumerate(_cells("ja", name)) for g in soft_break_gaps(cell)]
    assert not gaps, "\n".join(gaps)


def test_no_gap_inside_japanese_sentences_of_the_readme() -> None:
    assert not soft_break_gaps((ROOT / "README.ja.md").read_text(encoding="utf-8"))
