"""JupyterLab in the language of the first notebook a (Binder) launch link opens: oauthmail/lablang.py.

BinderHub keeps ``urlpath`` in the browser (see the module's docstring), so the server extension reads
the first JupyterLab page requested. Checked on its own, inside a tornado server over a real socket
(the setting exists before the page's handler runs), in a real ``jupyter lab`` whose settings API then
answers ``ja_JP``, and through ``binder/postBuild``, which enables it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from oauthmail.lablang import FirstPageLanguage, chosen_locale, locale_for_page, transform_for
from oauthmail.labsetup import TRANSLATION_PLUGIN, user_settings_file

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("path", "locale"), [
    ("/user/alice-abc/lab/tree/notebooks/ja/00_start.ipynb", "ja_JP"),  # ?urlpath=lab/tree/…
    ("/user/alice-abc/doc/tree/notebooks/ja/01_gmail.ipynb", "ja_JP"),  # ?labpath=… (doc/tree/…)
    ("/lab/workspaces/auto-b/tree/notebooks/ja/02_microsoft365.ipynb", "ja_JP"),
    ("/lab/tree/notebooks%2Fja%2F00_start.ipynb", "ja_JP"),
    ("/user/alice-abc/lab/tree/notebooks/en/00_start.ipynb", "en"),
    ("/lab/tree/notebooks/ja", "en"),  # the folder itself, no notebook in it yet
    ("/lab/tree/japan.ipynb", "en"),
    ("/user/alice-abc/lab", "en"),
    ("/lab/", "en"),
    ("/user/alice-abc/lab/api/settings/@jupyterlab/translation-extension:plugin", None),
    ("/user/alice-abc/api/contents/notebooks/ja/00_start.ipynb", None),
    ("/static/lab/main.js", None),
    ("/lab/extensions/@jupyter-widgets/jupyterlab-manager/static/remoteEntry.js", None),
    ("/user/alice-abc/proxy/46047/mailbox", None),
])
def test_which_requests_decide(path: str, locale: str | None) -> None:
    assert locale_for_page(path) == locale


def test_the_first_lab_page_decides_once(tmp_path: Path) -> None:
    d = FirstPageLanguage(tmp_path)
    assert d.see("/user/a/api/status") is None and d.decided is None  # not a page: still open
    assert d.see("/user/a/lab/tree/notebooks/ja/00_start.ipynb") == "ja_JP"
    assert chosen_locale(tmp_path) == "ja_JP"
    target = user_settings_file(tmp_path, TRANSLATION_PLUGIN)
    assert json.loads(target.read_text()) == {"locale": "ja_JP"}
    target.write_text('{"locale": "en"}')  # the person switched with Settings → Language
    assert d.see("/user/a/lab/tree/notebooks/ja/01_gmail.ipynb") is None
    assert chosen_locale(tmp_path) == "en"


def test_an_english_link_writes_nothing_and_a_later_japanese_page_does_not_flip_it(tmp_path: Path) -> None:
    d = FirstPageLanguage(tmp_path)
    assert d.see("/lab/tree/notebooks/en/00_start.ipynb") is None
    assert d.see("/lab/tree/notebooks/ja/00_start.ipynb") is None
    assert not user_settings_file(tmp_path, TRANSLATION_PLUGIN).exists()


def test_a_language_chosen_before_is_kept(tmp_path: Path) -> None:
    target = user_settings_file(tmp_path, TRANSLATION_PLUGIN)
    target.parent.mkdir(parents=True)
    target.write_text('{"locale": "en"}')
    assert FirstPageLanguage(tmp_path).see("/lab/tree/notebooks/ja/00_start.ipynb") is None
    assert json.loads(target.read_text()) == {"locale": "en"}


def test_the_setting_exists_before_the_page_handler_runs(tmp_path: Path) -> None:
    """In a tornado server (real socket), the handler of the first page already reads the setting."""
    import asyncio
    import threading

    import tornado.web

    seen: list[str | None] = []

    class Page(tornado.web.RequestHandler):
        def get(self, _path: str) -> None:
            seen.append(chosen_locale(tmp_path))
            self.write("<html>lab</html>")

    port_box: list[int] = []
    ready = threading.Event()
    stop: list[Any] = []

    def serve() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        app = tornado.web.Application([(r"/user/a/lab/tree/(.*)", Page)])
        app.add_transform(transform_for(FirstPageLanguage(tmp_path)))
        server = app.listen(0, "127.0.0.1")
        port_box.append(next(iter(server._sockets.values())).getsockname()[1])
        stop.append((loop, server))
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        for name in ("ja/00_start.ipynb", "ja/01_gmail.ipynb"):
            with urllib.request.urlopen(f"http://127.0.0.1:{port_box[0]}/user/a/lab/tree/notebooks/{name}",
                                        timeout=10) as resp:
                assert resp.read() == b"<html>lab</html>"  # the transform passes the page on untouched
    finally:
        loop, server = stop[0]
        loop.call_soon_threadsafe(server.stop)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
    assert seen == ["ja_JP", "ja_JP"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=20) as resp:
        return resp.status, resp.read()


@pytest.mark.skipif(not shutil.which("jupyter-lab", path=str(Path(sys.executable).parent)),
                    reason="JupyterLab is not installed (the notebook extra)")
def test_a_real_jupyterlab_opened_at_a_japanese_notebook_answers_in_japanese(tmp_path: Path) -> None:
    """`jupyter lab` with the extension enabled as binder/postBuild enables it: the page, then its settings."""
    work = tmp_path / "repo"
    (work / "notebooks" / "ja").mkdir(parents=True)
    (work / "notebooks" / "ja" / "00_start.ipynb").write_text(
        '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    config = tmp_path / "etc" / "jupyter_server_config.d"
    config.mkdir(parents=True)
    (config / "oauthmail-lablang.json").write_text('{"ServerApp": {"jpserver_extensions": {"oauthmail.lablang": true}}}')
    settings = tmp_path / "user-settings"
    port, token = _free_port(), "t0ken-for-this-test"
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTER_CONFIG_DIR": str(tmp_path / "etc"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "HOME": str(tmp_path)}
    lab = subprocess.Popen([str(Path(sys.executable).parent / "jupyter-lab"), "--no-browser", f"--port={port}",
                            "--ServerApp.ip=127.0.0.1", "--allow-root", f"--IdentityProvider.token={token}",
                            f"--ServerApp.root_dir={work}"],
                           cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                _get(f"{base}/api/status?token={token}")
                break
            except OSError:
                if lab.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(lab.stderr.read() if lab.stderr else "jupyter lab did not start") from None
                time.sleep(0.3)
        assert not user_settings_file(settings, TRANSLATION_PLUGIN).exists()
        status, page = _get(f"{base}/lab/tree/notebooks/ja/00_start.ipynb?token={token}")
        assert status == 200 and b"jupyter-config-data" in page
        _, body = _get(f"{base}/lab/api/settings/{TRANSLATION_PLUGIN}?token={token}")
        assert json.loads(body)["settings"]["locale"] == "ja_JP"
        _, pack = _get(f"{base}/lab/api/translations/ja_JP?token={token}")
        assert json.loads(pack)["data"], "the Japanese language pack answers (jupyterlab-language-pack-ja-JP)"
    finally:
        lab.terminate()
        try:
            lab.wait(20)
        except subprocess.TimeoutExpired:
            lab.kill()
        if lab.stderr:
            lab.stderr.close()


def test_binder_postbuild_enables_the_extension(tmp_path: Path) -> None:
    prefix, home = tmp_path / "srv" / "conda", tmp_path / "home"
    home.mkdir()
    done = subprocess.run(["bash", str(ROOT / "binder" / "postBuild")], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "NB_PYTHON_PREFIX": str(prefix), "HOME": str(home)}, timeout=60)
    assert done.returncode == 0, done.stderr
    enabled = json.loads((prefix / "etc" / "jupyter" / "jupyter_server_config.d" / "oauthmail-lablang.json").read_text())
    assert enabled == {"ServerApp": {"jpserver_extensions": {"oauthmail.lablang": True}}}
    assert (prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json").exists()
