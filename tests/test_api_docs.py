"""docs/api.md and docs/api.ja.md: every ```python block runs, as written, against the sandbox.

Each block runs on its own (fresh names) in a folder holding what the docs assume: ``oauthmail.ini``
(alice@example.com signed in), ``report.pdf`` and ``client_secret.json`` (the sandbox's Web client). The
"browser" that consent opens is the sandbox's simulated user, who clicks Allow. ```py blocks (a person or
the real services needed) are not run, but must still be valid Python.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import shutil
import webbrowser
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("docs/api.md", "docs/api.ja.md")
FENCE = re.compile(r"^```(python|py)\n(.*?)^```", re.M | re.S)


def blocks(doc: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FENCE.finditer((ROOT / doc).read_text(encoding="utf-8"))]


class SandboxUserAsBrowser(webbrowser.BaseBrowser):
    """``webbrowser.open(url)`` as the sandbox's simulated user: approve, follow the redirect back."""

    def __init__(self, sandbox: Any, user: str) -> None:
        super().__init__("oauthmail-sandbox-user")
        self.sandbox, self.user = sandbox, user

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self.sandbox.approve(url, user=self.user)
        return True


@pytest.fixture
def docs_folder(oauthmail_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    oauthmail_sandbox.sign_in("alice@example.com", tmp_path / "oauthmail.ini")
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4\n% report\n")
    shutil.copy(oauthmail_sandbox.client_secrets_web, tmp_path / "client_secret.json")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(webbrowser, "_tryorder", ["oauthmail-sandbox-user"])
    monkeypatch.setattr(webbrowser, "_browsers", {
        "oauthmail-sandbox-user": [None, SandboxUserAsBrowser(oauthmail_sandbox, "alice@example.com")]})
    yield tmp_path


@pytest.mark.parametrize("doc", DOCS)
def test_every_python_block_runs(doc: str, docs_folder: Path, oauthmail_sandbox: Any) -> None:
    runnable = [code for kind, code in blocks(doc) if kind == "python"]
    assert len(runnable) >= 11
    for n, code in enumerate(runnable, 1):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                exec(compile(code, f"{doc} block {n}", "exec"), {"__name__": "__doc_example__"})
            except Exception as exc:
                pytest.fail(f"{doc}, python block {n} failed: {type(exc).__name__}: {exc}\n{code}")
        assert out.getvalue().strip(), f"{doc}, python block {n} printed nothing"
        for secret in _secrets(docs_folder / "oauthmail.ini"):
            assert secret not in out.getvalue(), f"{doc}, python block {n} printed a secret"
    delivered = oauthmail_sandbox.mailbox.messages()
    assert any(a.get_filename() == "report.pdf" for m in delivered for a in m.iter_attachments())
    assert sum(str(m["Subject"]).startswith("Message ") for m in delivered) == 100


def _secrets(ini: Path) -> list[str]:
    from oauthmail.tokenfile import read

    return [s for acc in read(ini).accounts.values() for s in acc.secrets() if s]


@pytest.mark.parametrize("doc", DOCS)
def test_blocks_not_run_are_still_python(doc: str) -> None:
    for kind, code in blocks(doc):
        if kind == "py":
            ast.parse(code)


def test_both_languages_show_the_same_calls() -> None:
    def calls(doc: str) -> list[str]:
        return [re.sub(r"#.*", "", code) for _, code in blocks(doc)]

    en, ja = calls(DOCS[0]), calls(DOCS[1])
    assert len(en) == len(ja)
    for a, b in zip(en, ja, strict=True):
        assert re.findall(r"oauthmail\.[\w.]+", a) == re.findall(r"oauthmail\.[\w.]+", b)


@pytest.mark.parametrize("doc", [*DOCS, "README.md", "README.ja.md", "CHANGELOG.md"])
def test_relative_links_lead_somewhere(doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    links = [t for t in re.findall(r"\]\(([^)\s]+)\)", text) if "://" not in t and not t.startswith("#")]
    assert links or doc == "CHANGELOG.md"
    for target in links:
        assert ((ROOT / doc).parent / target.split("#")[0]).exists(), f"{doc}: broken link {target}"
