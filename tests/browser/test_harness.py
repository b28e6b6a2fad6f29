"""The harness itself, on a tiny notebook of its own: it can open, run, type, upload, click, follow a
new tab, save, and it renders Japanese. Fails here mean the browser set-up is broken, not the kit.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from labdriver import LabPage, LabServer, secrets_in

TINY_CODE = r'''
import html, ipywidgets as w
up = w.FileUpload(accept=".json", description="クライアント JSON")
pw = w.Password(description="シークレット")
btn = w.Button(description="この値を使う")
out = w.HTML()
link = w.HTML("<a href='/lab/api/settings' target='_blank' rel='noopener'>別タブで開く ↗</a>")
def go(_b):
    data = bytes(up.value[0].content) if up.value else b""
    n = len(pw.value)
    pw.value = ""
    out.value = f"<b>受け取りました / received</b>: {len(data)} bytes, secret of {n} characters"
btn.on_click(go)
w.VBox([up, pw, btn, out, link])
'''


def tiny_notebook() -> dict[str, object]:
    return {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [
            {"cell_type": "markdown", "id": "intro", "metadata": {},
             "source": "# ハーネスの確認\n日本語が四角（豆腐）にならずに表示されること。"},
            {"cell_type": "code", "id": "form", "metadata": {}, "execution_count": None, "outputs": [],
             "source": TINY_CODE},
        ],
    }


def test_harness_walks_a_tiny_widget_notebook_ja(lab: LabPage, lab_server: LabServer, tmp_path: Path) -> None:
    folder = lab_server.root / "_harness"
    folder.mkdir(exist_ok=True)
    (folder / "tiny.ipynb").write_text(json.dumps(tiny_notebook()), encoding="utf-8")
    secret = "HARNESS-" + secrets.token_hex(12)
    upload = tmp_path / "client_secret_tiny.json"
    upload.write_text(json.dumps({"installed": {"client_id": "x"}}), encoding="utf-8")

    lab.open("_harness/tiny.ipynb")
    lab.run_all()
    lab.wait_text("この値を使う")
    lab.upload("クライアント JSON", upload)
    lab.panel.locator(".widget-upload", has_text="(1)").wait_for()  # the widget counts the picked file
    lab.fill_password("シークレット", secret)
    lab.shot("filled", doc=None)
    lab.click("この値を使う")
    lab.wait_text("受け取りました")
    lab.wait_text(f"{upload.stat().st_size} bytes, secret of {len(secret)} characters")
    assert lab.widget("password", "シークレット").locator("input").input_value() == ""
    lab.shot("done")

    popup = lab.click_link("別タブで開く")
    assert "/lab/api/settings" in popup.url
    popup.close()

    saved = lab.save()
    text = saved.read_text(encoding="utf-8")
    assert secrets_in(text, {"secret": secret}) == []
    assert "widgets" not in json.loads(text).get("metadata", {}), "widget state was saved into the notebook"


def test_harness_reports_a_failing_cell(lab: LabPage, lab_server: LabServer) -> None:
    """A cell that raises is reported with its traceback, not as a time-out."""
    folder = lab_server.root / "_harness"
    folder.mkdir(exist_ok=True)
    nb = tiny_notebook()
    nb["cells"] = [{"cell_type": "code", "id": "boom", "metadata": {}, "execution_count": None, "outputs": [],
                    "source": "raise ValueError('harness: on purpose')"},
                   {"cell_type": "code", "id": "after", "metadata": {}, "execution_count": None, "outputs": [],
                    "source": "print('never runs')"}]
    (folder / "broken.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    lab.open("_harness/broken.ipynb")
    lab.run_all()
    with pytest.raises(AssertionError, match="harness: on purpose"):
        lab.assert_no_tracebacks()
