"""`make lab`'s preparation: widget-state saving pinned off, news off, OAUTHMAIL_HOME made; Binder agrees."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from oauthmail import labsetup

ROOT = Path(__file__).resolve().parent.parent


def test_user_settings_written_and_merged(tmp_path: Path) -> None:
    target = labsetup.user_settings_file(tmp_path, "@jupyter-widgets/jupyterlab-manager:plugin")
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps({"saveState": True, "other": 1}))
    assert labsetup.widget_state_saving_on(tmp_path)
    labsetup.write_user_settings(tmp_path)
    assert json.loads(target.read_text()) == {"saveState": False, "other": 1}
    assert not labsetup.widget_state_saving_on(tmp_path)
    news = labsetup.user_settings_file(tmp_path, "@jupyterlab/apputils-extension:notification")
    assert json.loads(news.read_text())["fetchNews"] == "false"


def test_json5_comments_are_replaced(tmp_path: Path) -> None:
    target = labsetup.user_settings_file(tmp_path, "@jupyter-widgets/jupyterlab-manager:plugin")
    target.parent.mkdir(parents=True)
    target.write_text('{\n  // JSON5 comment\n  "saveState": true\n}')
    labsetup.write_user_settings(tmp_path)
    assert json.loads(target.read_text())["saveState"] is False


def test_overrides_merged_and_match_binder(tmp_path: Path) -> None:
    (tmp_path / "overrides.json").write_text(json.dumps({"@jupyterlab/apputils-extension:themes": {"theme": "x"}}))
    path = labsetup.write_overrides(tmp_path)
    data = json.loads(path.read_text())
    assert data["@jupyterlab/apputils-extension:themes"] == {"theme": "x"}
    assert data["@jupyter-widgets/jupyterlab-manager:plugin"] == {"saveState": False}
    binder = json.loads((ROOT / "binder" / "overrides.json").read_text())
    assert binder == labsetup.OVERRIDES


def test_command_line(tmp_path: Path, oauthmail_home: Path) -> None:
    home = tmp_path / "fresh-home"
    env = {**os.environ, "OAUTHMAIL_HOME": str(home), "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab")}
    proc = subprocess.run([sys.executable, "-m", "oauthmail.labsetup", "--prefix", str(tmp_path / "prefix")],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert home.is_dir() and (home.stat().st_mode & 0o077) == 0
    assert (tmp_path / "prefix" / "share" / "jupyter" / "lab" / "settings" / "overrides.json").exists()
    assert not labsetup.widget_state_saving_on(tmp_path / "lab")
    assert labsetup.user_settings_file(tmp_path / "lab", "@jupyter-widgets/jupyterlab-manager:plugin").exists()


@pytest.mark.parametrize(("start", "locale"), [("ja/00_start.ipynb", "ja_JP"), ("en/00_start.ipynb", "en"), ("", "en")])
def test_lab_speaks_the_start_notebooks_language(tmp_path: Path, oauthmail_home: Path, start: str, locale: str) -> None:
    """``OAUTHMAIL_START=ja/… make lab`` starts JupyterLab in Japanese (the language pack is in the extra)."""
    env = {**os.environ, "OAUTHMAIL_HOME": str(tmp_path / "h"), "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab"),
           "OAUTHMAIL_START": start, "OAUTHMAIL_LANG": ""}
    proc = subprocess.run([sys.executable, "-m", "oauthmail.labsetup", "--prefix", str(tmp_path / "prefix")],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    target = labsetup.user_settings_file(tmp_path / "lab", labsetup.TRANSLATION_PLUGIN)
    assert json.loads(target.read_text(encoding="utf-8")) == {"locale": locale}
    if locale == "ja_JP":
        from importlib.util import find_spec

        assert find_spec("jupyterlab_language_pack_ja_JP"), "pip install -e '.[notebook]' installs the language pack"


@pytest.mark.parametrize("name", ["requirements.txt", "runtime.txt", "postBuild", "overrides.json", "apt.txt"])
def test_binder_files(name: str) -> None:
    text = (ROOT / "binder" / name).read_text()
    expected = {"requirements.txt": "-e .[notebook]", "runtime.txt": "python-3.12",
                "postBuild": "share/jupyter/lab/settings", "overrides.json": "saveState", "apt.txt": "fonts-noto-cjk"}
    assert expected[name] in text
    if name == "postBuild":
        assert "set -e" in text and os.access(ROOT / "binder" / name, os.X_OK)


def test_schemas_know_the_settings() -> None:
    """The plugin ids and keys exist in the installed JupyterLab (a typo would silently do nothing)."""
    share = Path(sys.prefix) / "share" / "jupyter"
    widgets = share / "labextensions/@jupyter-widgets/jupyterlab-manager/schemas/@jupyter-widgets/jupyterlab-manager/plugin.json"
    news = share / "lab/schemas/@jupyterlab/apputils-extension/notification.json"
    if not (widgets.exists() and news.exists()):
        pytest.skip("JupyterLab / jupyterlab_widgets schemas not installed in this environment")
    assert '"saveState"' in widgets.read_text()
    assert '"fetchNews"' in news.read_text() and '"checkForUpdates"' in news.read_text()


def test_the_widget_state_setting_is_quoted_as_the_japanese_ui_shows_it() -> None:
    """The installed language pack decides: its translation of the Settings-menu item, or the English one
    when it has none (jupyterlab-language-pack-ja-JP 4.5 has no jupyterlab_widgets entries)."""
    from oauthmail.labsetup import SAVE_STATE_DOMAIN, SAVE_STATE_LABEL, lab_label, quote_lab_label
    from oauthmail.ui.views import widget_state_warning

    pytest.importorskip("jupyterlab_language_pack_ja_JP")
    assert lab_label("Settings", "jupyterlab", "ja") == "設定"  # the catalogue really is read
    assert lab_label("Settings", "jupyterlab", "en") == "Settings"
    shown = lab_label(SAVE_STATE_LABEL, SAVE_STATE_DOMAIN, "ja")
    warning, readme = widget_state_warning("ja"), (ROOT / "README.ja.md").read_text(encoding="utf-8")
    assert quote_lab_label(SAVE_STATE_LABEL, SAVE_STATE_DOMAIN, "ja") in warning
    if shown == SAVE_STATE_LABEL:
        assert "「Save Widget State Automatically」のチェックを外して" in warning and "英語のまま" in warning
        assert "「Save Widget State Automatically」" in readme and "英語のまま表示されます" in readme
    else:  # the pack gained a translation: the warning follows by itself, README.ja.md must be rewritten
        assert f"「{shown}」（Save Widget State Automatically）" in warning and "英語のまま" not in warning
        assert f"「{shown}」" in readme, "README.ja.md still says the item is shown in English"
    assert '"Save Widget State Automatically"' in widget_state_warning("en")
