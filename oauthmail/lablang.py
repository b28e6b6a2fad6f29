"""JupyterLab in the language of the first notebook a launch link opens (a Jupyter server extension, for Binder).

Why not ``binder/start``: BinderHub does not tell the server which page a launch link opens. Its
launch page keeps ``urlpath``/``labpath`` in the browser (``LaunchSpec`` in binderhub-client) and only
redirects there once the server runs; the spawner gets the image, the token and ``binder_request``
(``v2/<provider>/<spec>``, without the query), so neither the ``start`` script nor
``JUPYTERHUB_DEFAULT_URL`` can see ``notebooks/ja/…``. The first request the server *does* see is that
redirect: ``/lab/tree/notebooks/ja/00_start.ipynb`` (or ``/doc/tree/…``).

So this extension looks at the first JupyterLab page asked for. When it opens a notebook in a ``ja``
folder and nobody has chosen a language yet, it writes JupyterLab's user setting
``@jupyterlab/translation-extension:plugin`` ``{"locale": "ja_JP"}`` before the page is sent: the page
then loads its settings (an API call made after the HTML arrives) in Japanese. Later pages change
nothing (the language does not flip in the middle of a session), and a language someone picked in
「設定」→「言語」 (Settings → Language) is never overwritten. ``binder/postBuild`` enables it.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import Any

from .labsetup import TRANSLATION_PLUGIN, user_settings_file

#: A JupyterLab page for one file: ``…/lab/tree/<path>``, ``…/lab/workspaces/<name>/tree/<path>``, ``…/doc/tree/<path>``.
_LAB_PAGE = re.compile(r"/(?:lab|doc)(?:/workspaces/[^/]+)?/tree/(?P<path>[^?#]*)")
_LAB_HOME = re.compile(r"/(?:lab|doc)(?:/workspaces/[^/]+)?/?$")  # Lab with no file: English


def locale_for_page(url_path: str) -> str | None:
    """``ja_JP`` for a JupyterLab page opening a file in a ``ja`` folder, ``en`` for any other Lab page,
    None for requests that are not a Lab page (API calls, static files, the sandbox's proxy)."""
    from urllib.parse import unquote

    m = _LAB_PAGE.search(url_path)
    if m:
        folders = unquote(m.group("path")).strip("/").split("/")[:-1]
        return "ja_JP" if "ja" in folders else "en"
    return "en" if _LAB_HOME.search(url_path) else None


def chosen_locale(settings_dir: Path) -> str | None:
    """The language already in the user settings (someone chose it), or None."""
    try:
        data = json.loads(user_settings_file(settings_dir, TRANSLATION_PLUGIN).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    locale = data.get("locale") if isinstance(data, dict) else None
    return str(locale) if locale else None


def settings_dir() -> Path:
    """JupyterLab's user-settings folder, as jupyterlab_server finds it."""
    if os.environ.get("JUPYTERLAB_SETTINGS_DIR"):
        return Path(os.environ["JUPYTERLAB_SETTINGS_DIR"])
    from jupyter_core.paths import jupyter_config_dir

    return Path(jupyter_config_dir()) / "lab" / "user-settings"


class FirstPageLanguage:
    """Decides once, on the first Lab page: writes ``ja_JP`` when that page is a Japanese notebook."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.decided: str | None = None
        self._lock = threading.Lock()

    def see(self, url_path: str) -> str | None:
        """Look at one request; returns the locale written (``ja_JP``) or None."""
        if self.decided is not None:
            return None
        locale = locale_for_page(url_path)
        if locale is None:
            return None
        with self._lock:
            if self.decided is not None:
                return None
            self.decided = locale
            if locale != "ja_JP" or chosen_locale(self.folder):
                return None
            target = user_settings_file(self.folder, TRANSLATION_PLUGIN)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            tmp.write_text(json.dumps({"locale": "ja_JP"}, indent=2) + "\n", encoding="utf-8")
            tmp.replace(target)
            return locale


def transform_for(decider: FirstPageLanguage) -> type:
    """A tornado output transform: built for every request before its handler runs, it passes the output on."""
    from tornado.web import OutputTransform

    class _FirstPageLanguage(OutputTransform):  # type: ignore[misc]
        def __init__(self, request: Any) -> None:
            super().__init__(request)
            try:
                decider.see(str(request.path))
            except OSError:  # a read-only settings folder: Lab simply stays in English
                pass

    return _FirstPageLanguage


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "oauthmail.lablang"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    folder = settings_dir()
    serverapp.web_app.add_transform(transform_for(FirstPageLanguage(folder)))
    serverapp.log.info("oauthmail.lablang: JupyterLab follows the first notebook's language (%s)", folder)
