"""Prepare JupyterLab for the kit before it starts (``make lab`` runs ``python -m oauthmail.labsetup``).

Why: ipywidgets can write every widget's value — a client secret typed into a Password box
included — into the .ipynb when a notebook is saved, if JupyterLab's *Save Widget State
Automatically* is on (provider-facts J69-J70, P37). The kit pins it off, and turns off the news
fetch (no outgoing request a class did not ask for):

- ``overrides.json`` in the environment's JupyterLab settings folder
  (``<prefix>/share/jupyter/lab/settings/``), the same file Binder's ``postBuild`` installs;
- user-settings files in ``JUPYTERLAB_SETTINGS_DIR`` (or ``--settings-dir``) when given, because
  user settings win over overrides;
- and ``OAUTHMAIL_HOME`` is created (mode 0700) so the notebooks' files have a home.

JupyterLab itself speaks the notebook's language: when the start notebook is a Japanese one
(``OAUTHMAIL_START=ja/00_start.ipynb make lab``) or ``--locale ja_JP`` is given, the user settings
select the Japanese language pack (``jupyterlab-language-pack-ja-JP``, in the notebook extra), so the
menus the Japanese notebooks quote (「設定」「実行」) are the ones on the screen. A person can still
switch with Settings → Language (「設定」→「言語」).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from . import paths
from .i18n import Msg

#: Plugin id → settings; the content of binder/overrides.json.
OVERRIDES: dict[str, dict[str, Any]] = {
    "@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": False},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}

#: JupyterLab's own language setting (the language packs' plugin).
TRANSLATION_PLUGIN = "@jupyterlab/translation-extension:plugin"


#: The setting the kit asks people to turn off: its label in JupyterLab's Settings menu (the command
#: @jupyter-widgets/jupyterlab-manager:saveWidgetState, translated in the ``jupyterlab_widgets`` domain).
SAVE_STATE_LABEL = "Save Widget State Automatically"
SAVE_STATE_DOMAIN = "jupyterlab_widgets"


def lab_label(english: str, domain: str, lang: str) -> str:
    """A JupyterLab label as its UI shows it in ``lang``: the installed Japanese language pack's translation
    (its ``<domain>.json`` catalogue), or the English label when the pack has none (JupyterLab falls back
    to the English the same way). jupyterlab-language-pack-ja-JP 4.5 has no ``jupyterlab_widgets`` entries.
    """
    if not lang.lower().startswith("ja"):
        return english
    from importlib.util import find_spec

    spec = find_spec("jupyterlab_language_pack_ja_JP")
    if spec is None or not spec.origin:
        return english
    catalogue = Path(spec.origin).parent / "locale" / "ja_JP" / "LC_MESSAGES" / f"{domain}.json"
    try:
        entry = json.loads(catalogue.read_text(encoding="utf-8")).get(english)
    except (OSError, ValueError, AttributeError):
        return english
    return entry[0] if isinstance(entry, list) and entry and isinstance(entry[0], str) and entry[0] else english


def quote_lab_label(english: str, domain: str, lang: str) -> str:
    """The label quoted as a reader of ``lang`` sees it: 「訳」（English） when translated, else as it is."""
    shown = lab_label(english, domain, lang)
    if not lang.lower().startswith("ja"):
        return f'"{english}"'
    return f"「{shown}」" if shown == english else f"「{shown}」（{english}）"


def locale_for_start(start: str | None, lang: str | None = None) -> str:
    """``ja_JP`` when the start notebook is under ``ja/`` (or no start is given and OAUTHMAIL_LANG is ja)."""
    if start:
        return "ja_JP" if start.replace("\\", "/").lstrip("/").split("/")[0] == "ja" else "en"
    return "ja_JP" if (lang or "").lower().startswith("ja") else "en"


DONE = Msg(en="JupyterLab prepared: widget-state saving off, news off ({where}). Kit folder: {home}",
           ja="JupyterLab の準備ができました: ウィジェット状態の保存オフ、ニュース取得オフ（{where}）。キットのフォルダー: {home}")


def user_settings_file(settings_dir: Path, plugin: str) -> Path:
    """``@scope/package:plugin`` → ``<dir>/@scope/package/plugin.jupyterlab-settings``."""
    package, _, name = plugin.partition(":")
    return settings_dir / package / f"{name}.jupyterlab-settings"


def write_user_settings(settings_dir: Path, overrides: dict[str, dict[str, Any]] = OVERRIDES) -> list[Path]:
    """Merge the pinned values into the user-settings files (other keys a person set are kept)."""
    written = []
    for plugin, values in overrides.items():
        target = user_settings_file(settings_dir, plugin)
        current: dict[str, Any] = {}
        if target.exists():
            try:
                loaded = json.loads(target.read_text(encoding="utf-8"))
                if isinstance(loaded, dict):
                    current = loaded
            except ValueError:  # JSON5 with comments: replace it with plain JSON
                current = {}
        current.update(values)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(current, indent=2) + "\n", encoding="utf-8")
        written.append(target)
    return written


def write_overrides(app_settings_dir: Path, overrides: dict[str, dict[str, Any]] = OVERRIDES) -> Path:
    """Merge into ``overrides.json`` of an application settings folder."""
    target = app_settings_dir / "overrides.json"
    current: dict[str, Any] = {}
    if target.exists():
        try:
            loaded = json.loads(target.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                current = loaded
        except ValueError:
            current = {}
    for plugin, values in overrides.items():
        merged = dict(current.get(plugin) or {})
        merged.update(values)
        current[plugin] = merged
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(current, indent=2) + "\n", encoding="utf-8")
    return target


def app_settings_dir(prefix: str | None = None) -> Path:
    return Path(prefix or sys.prefix) / "share" / "jupyter" / "lab" / "settings"


def widget_state_saving_on(settings_dir: Path | None = None) -> bool:
    """Whether the user settings turn widget-state saving on (the notebooks warn then, P37)."""
    d = settings_dir or (Path(os.environ["JUPYTERLAB_SETTINGS_DIR"]) if os.environ.get("JUPYTERLAB_SETTINGS_DIR")
                         else Path.home() / ".jupyter" / "lab" / "user-settings")
    target = user_settings_file(d, "@jupyter-widgets/jupyterlab-manager:plugin")
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("saveState") is True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Prepare JupyterLab for the oauthmail notebooks.")
    parser.add_argument("--settings-dir", type=Path, default=None,
                        help="JupyterLab user-settings folder (default: $JUPYTERLAB_SETTINGS_DIR, if set)")
    parser.add_argument("--prefix", default=None, help="environment prefix for overrides.json (default: sys.prefix)")
    parser.add_argument("--locale", default=None, choices=("en", "ja_JP"),
                        help="JupyterLab's language (default: ja_JP when $OAUTHMAIL_START is under ja/)")
    args = parser.parse_args(argv)
    locale = args.locale or locale_for_start(os.environ.get("OAUTHMAIL_START"), os.environ.get("OAUTHMAIL_LANG"))
    places = []
    try:
        places.append(str(write_overrides(app_settings_dir(args.prefix))))
    except OSError as exc:  # a read-only system Python: the user settings below still apply
        print(f"warning: overrides.json not written: {exc.strerror}", file=sys.stderr)
    settings = args.settings_dir or (Path(os.environ["JUPYTERLAB_SETTINGS_DIR"])
                                     if os.environ.get("JUPYTERLAB_SETTINGS_DIR") else None)
    if settings is not None:
        write_user_settings(settings.expanduser(), {**OVERRIDES, TRANSLATION_PLUGIN: {"locale": locale}})
        places.append(str(settings))
    print(DONE(where=", ".join(places) or "-", home=str(paths.home())))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
