"""The committed notebooks are exactly what tools/build_notebooks.py makes: same code in both
languages, no outputs, no widget state (nothing a person typed can ride along in git)."""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NB = ROOT / "notebooks"
NAMES = ["00_start.ipynb", "01_gmail.ipynb", "02_microsoft365.ipynb", "03_existing_ini.ipynb",
         "04_troubleshooting.ipynb", "05_trainer.ipynb"]


def _builder():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("build_notebooks", ROOT / "tools" / "build_notebooks.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_notebooks"] = module
    spec.loader.exec_module(module)
    return module


def _load(lang: str, name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((NB / lang / name).read_text(encoding="utf-8"))


def test_committed_notebooks_equal_generated() -> None:
    b = _builder()
    assert sorted(b.NOTEBOOKS) == NAMES
    for lang in ("en", "ja"):
        for name in NAMES:
            assert (NB / lang / name).read_text(encoding="utf-8") == b.render(name, lang), (
                f"{lang}/{name} differs from tools/build_notebooks.py: run `python tools/build_notebooks.py`")


def test_check_mode_reports_stale_file(tmp_path: Path) -> None:
    b = _builder()
    assert b.main(["--out", str(tmp_path)]) == 0
    assert b.main(["--check", "--out", str(tmp_path)]) == 0
    (tmp_path / "ja" / "01_gmail.ipynb").write_text("{}", encoding="utf-8")
    assert b.main(["--check", "--out", str(tmp_path)]) == 1


@pytest.mark.parametrize("name", NAMES)
def test_code_cells_identical_in_both_languages(name: str) -> None:
    en, ja = _load("en", name), _load("ja", name)
    code_en = [c["source"] for c in en["cells"] if c["cell_type"] == "code"]
    code_ja = [c["source"] for c in ja["cells"] if c["cell_type"] == "code"]
    assert code_en and code_en == code_ja
    assert [c["cell_type"] for c in en["cells"]] == [c["cell_type"] for c in ja["cells"]]


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("name", NAMES)
def test_no_outputs_no_widget_state(lang: str, name: str) -> None:
    nb = _load(lang, name)
    assert "widgets" not in nb["metadata"]
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == []
            assert cell["execution_count"] is None
        assert "attachments" not in cell


@pytest.mark.parametrize("name", NAMES)
def test_editions_link_to_each_other(name: str) -> None:
    assert f"../ja/{name}" in "".join(_load("en", name)["cells"][0]["source"])
    assert f"../en/{name}" in "".join(_load("ja", name)["cells"][0]["source"])


def test_japanese_edition_is_japanese() -> None:
    for name in NAMES:
        for cell in _load("ja", name)["cells"]:
            if cell["cell_type"] == "markdown":
                text = "".join(cell["source"])
                assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text), (name, text[:80])


def test_every_checklist_step_exists_and_every_step_is_used() -> None:
    from oauthmail.ui.steps import STEPS

    used = set()
    for lang in ("en", "ja"):
        for name in NAMES:
            for cell in _load(lang, name)["cells"]:
                for m in re.finditer(r'kit\.checklist\("([^"]+)"\)', "".join(cell["source"])):
                    assert m.group(1) in STEPS
                    used.add(m.group(1))
    assert used == set(STEPS)


def test_console_steps_of_the_guides_are_covered() -> None:
    """Seed 000 and 001 steps and the facts they leave out appear in the notebooks (both languages)."""
    text = {lang: "".join("".join(c["source"]) for n in NAMES for c in _load(lang, n)["cells"]) for lang in ("en", "ja")}
    for needle in ("http://127.0.0.1:48888/callback", "http://localhost:48888/callback", "https://mail.google.com/",
                   "Mail.Send", "offline_access", "SMTP.Send", "535 5.7.139", "client_secret_", "TLS 1.2",
                   "SSL_CERT_FILE", "HTTPS_PROXY", "token_uri", "AUTH XOAUTH2 *****", "Binder",
                   "https://console.cloud.google.com/apis/library/gmail.googleapis.com",
                   "https://admin.microsoft.com/"):
        for lang in ("en", "ja"):
            assert needle in text[lang], (lang, needle)
    for needle in ("7 日", "テストユーザー", "ウェブ アプリケーション", "デスクトップ アプリ", "認証済み SMTP",
                   "管理者の同意", "証明書とシークレット", "「値」", "「詳細」", "安全ではないページ"):
        assert needle in text["ja"], needle
    for needle in ("7 days", "Test users", "Web application", "Desktop app", "Authenticated SMTP",
                   "Grant admin consent", "Certificates & secrets", "**Value**", "Advanced", "(unsafe)"):
        assert needle in text["en"], needle


def test_japanese_sentences_are_not_broken_by_source_line_wraps() -> None:
    """A wrapped line inside a Japanese sentence renders as a stray space; the build joins such lines."""
    cjk_end = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]$")
    block = re.compile(r"^\s*(?:[-*+] |#|>|\||```|\d+[.)] |$)")
    for name in NAMES:
        for cell in _load("ja", name)["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            source = cell["source"]
            lines = ("".join(source) if isinstance(source, list) else source).split("\n")
            in_fence = False
            for prev, line in itertools.pairwise(lines):
                if prev.lstrip().startswith("```"):
                    in_fence = not in_fence
                if in_fence or prev.lstrip().startswith(("|", "#")):
                    continue
                assert not (cjk_end.search(prev) and not block.match(line)), (name, prev, line)
    assert _builder().join_wrapped_japanese("ポートを\n  塞いでいる\n- 次\n") == "ポートを塞いでいる\n- 次\n"
