"""Every Japanese text a reader of the kit sees, with where it comes from.

- the Japanese notebooks as built (``notebooks/ja/*.ipynb``, Markdown cells),
- ``README.ja.md`` and ``docs/*.ja.md`` (except the glossary itself, which lists the forms not to use),
- every string constant with Japanese in it under ``oauthmail/`` (widgets, status lines, command output,
  the error catalog, records, sandbox pages): found with ``ast``, so an f-string's pieces count too.

Used by the glossary test, the style test and the untranslated-value test.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@dataclass(frozen=True)
class Text:
    where: str  # "notebooks/ja/01_gmail.ipynb, cell 8" | "oauthmail/doctor.py:175" | "README.ja.md"
    text: str
    source: str  # the file a person edits to change it
    markdown: bool

    def locate(self, offset: int) -> str:
        """Where the character at ``offset`` is, as a person looks for it."""
        line = self.text.count("\n", 0, offset) + 1
        if self.where.endswith(".md"):
            return f"{self.where}:{line}"
        if ".ipynb" in self.where:
            return f"{self.where}, line {line}"
        return self.where


def notebook_texts(root: Path = ROOT) -> Iterator[Text]:
    for nb in sorted((root / "notebooks" / "ja").glob("*.ipynb")):
        for i, cell in enumerate(json.loads(nb.read_text(encoding="utf-8"))["cells"]):
            if cell["cell_type"] == "markdown":
                src = cell["source"]
                yield Text(f"notebooks/ja/{nb.name}, cell {i}", "".join(src) if isinstance(src, list) else src,
                           "tools/build_notebooks.py (then run it)", True)


def document_texts(root: Path = ROOT) -> Iterator[Text]:
    for path in [root / "README.ja.md", *sorted((root / "docs").glob("*.ja.md"))]:
        if path.exists() and path.name != "glossary.ja.md":
            rel = str(path.relative_to(root))
            yield Text(rel, path.read_text(encoding="utf-8"), rel, True)


def code_texts(root: Path = ROOT) -> Iterator[Text]:
    for path in sorted((root / "oauthmail").rglob("*.py")):
        rel = str(path.relative_to(root))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and JAPANESE.search(node.value)
                    and not _PATTERN.search(node.value)):
                yield Text(f"{rel}:{node.lineno}", node.value, rel, False)


#: A regular expression that recognises what a provider prints (「承認エラー|Erro de autorização」) is the
#: provider's wording, not ours: the glossary does not apply to it.
_PATTERN = re.compile(r"\(\?|\\[sdbwSDBW]|\|")


def all_texts(root: Path = ROOT) -> list[Text]:
    return [*notebook_texts(root), *document_texts(root), *code_texts(root)]


_FENCE = re.compile(r"^```.*?^```[^\n]*$", re.S | re.M)
_CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
_URL = re.compile(r"https?://[^\s)）」>\]]*")
_LINK_TARGET = re.compile(r"\]\([^)\s]*\)")
_PATH = re.compile(r"(?<![\w/])[~.]?/[\w.-]+[\w./-]*")
_CALL = re.compile(r"[A-Za-z_][\w.]*\([^()\s]*\)")
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_.!:\[\]'\"]*\}")


def prose(text: str) -> str:
    """The text with code blocks blanked, inline code and URLs replaced by a same-length ASCII run.

    Lengths are kept so offsets still point at the right place; inline code becomes ``x`` characters so
    the spacing rules still see ASCII at its edges (「その後`invalid_grant`」 needs a space). Markdown
    link targets, URLs and calls such as ``run_console()`` count as code; ``{placeholders}`` are neutral.
    """
    text = _FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    text = _CODE_SPAN.sub(lambda m: "x" * len(m.group(0)), text)
    # The target is not shown: what follows the link sits next to the link text, not to the URL's ")".
    text = _LINK_TARGET.sub(lambda m: "]" + "x" * (len(m.group(0)) - 2) + "\0", text)
    text = _URL.sub(lambda m: "x" * len(m.group(0)), text)
    text = _PATH.sub(lambda m: "x" * len(m.group(0)), text)
    text = _CALL.sub(lambda m: "x" * len(m.group(0)), text)
    # A placeholder may stand for Japanese or ASCII: its edges are not judged ("\0" is neither).
    return _PLACEHOLDER.sub(lambda m: "\0" * len(m.group(0)), text)
