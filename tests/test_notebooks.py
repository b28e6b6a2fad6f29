"""Every notebook, both languages, top to bottom with nbclient and OAUTHMAIL_AUTORUN=1 (contract).

One sandbox is started here and shared with the kernels through ``OAUTHMAIL_HOME/sandbox``
(the kernels' ``ensure_running`` finds its ``sandbox.json``). Each kernel starts in the
notebook's folder, so the language comes from the folder name (OAUTHMAIL_LANG is removed).
The run must end with test messages in the sandbox mailbox, an INI that ``oauthmail send``
can use, setup records — and no client secret or token anywhere in the saved notebooks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.loopback_lock import loopback_port_lock

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
NB = ROOT / "notebooks"
NAMES = ["00_start.ipynb", "01_gmail.ipynb", "02_microsoft365.ipynb", "03_existing_ini.ipynb",
         "04_troubleshooting.ipynb"]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A throw-away OAUTHMAIL_HOME with a running sandbox in it (default ports: the documented 48888)."""
    from oauthmail.sandbox import Sandbox

    home = tmp_path_factory.mktemp("nb-home")
    sb = Sandbox(home / "sandbox").start()
    try:
        yield {"home": home, "sandbox": sb}
    finally:
        sb.stop()


def kernel_env(home: Path, sb: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OAUTHMAIL_LANG", "OAUTHMAIL_MODE")}
    env.update(sb.env())
    env.update({"OAUTHMAIL_HOME": str(home), "OAUTHMAIL_AUTORUN": "1", "PYTHONUNBUFFERED": "1"})
    return env


def run_notebook(path: Path, env: dict[str, str], out: Path) -> Any:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=env)
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)  # what a person's "Save" would write (outputs included)
    return nb


def known_secrets(home: Path, sb: Any) -> list[str]:
    """Every client secret and token of this run: the sandbox's clients and every INI account."""
    from oauthmail.tokenfile import read

    found = [sb.microsoft_web_client_secret]
    for path in (sb.client_secrets_web, sb.client_secrets_installed):
        data = json.loads(Path(path).read_text())
        found += [section["client_secret"] for section in data.values()]
    for ini in home.glob("*.ini"):
        for acc in read(ini).accounts.values():
            found += acc.secrets()
    return [s for s in found if s and len(s) >= 8]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_notebooks_run_top_to_bottom_in_the_sandbox(lang: str, shared: dict[str, Any],
                                                    tmp_path: Path) -> None:
    home: Path = shared["home"]
    sb = shared["sandbox"]
    before = len(sb.mailbox.messages())
    records_before = set((home / "records").glob("*")) if (home / "records").exists() else set()
    env = kernel_env(home, sb)
    outputs: dict[str, Path] = {}
    started = time.monotonic()
    with loopback_port_lock():
        for name in NAMES:
            out = tmp_path / "executed" / lang / name
            nb = run_notebook(NB / lang / name, env, out)
            outputs[name] = out
            errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                      if o.get("output_type") == "error"]
            assert not errors, (name, errors)
    elapsed = time.monotonic() - started
    print(f"{lang}: 5 notebooks in {elapsed:.1f} s")

    # 01, 02 and 03 each delivered a test message to the sandbox mailbox.
    messages = sb.mailbox.messages()
    assert len(messages) - before >= 3, messages
    subjects = " ".join(str(m) for m in messages[before:])
    assert ("oauthmail テストメール" if lang == "ja" else "oauthmail test message") in subjects or subjects

    # The exported INI works with the command line, as a person's program would use it.
    ini = home / "sandbox.ini"
    assert ini.exists() and (ini.stat().st_mode & 0o077) == 0
    from oauthmail.tokenfile import read

    accounts = list(read(ini).accounts)
    assert len(accounts) >= 2  # a Google and a Microsoft account
    for account in accounts:
        proc = subprocess.run(
            [sys.executable, "-m", "oauthmail", "send", "--ini", str(ini), "--account", account,
             "--to", "bob@example.com", "--subject", f"from the exported INI ({lang})", "--body", "ok"],
            env=env, capture_output=True, text=True, timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
    # 03 re-exported its account alone into OAUTHMAIL_HOME/exports/: that file works on its own too.
    exported = sorted((home / "exports").glob("*.ini"))
    assert exported and all((p.stat().st_mode & 0o077) == 0 for p in exported)
    proc = subprocess.run(
        [sys.executable, "-m", "oauthmail", "send", "--ini", str(exported[0]), "--to", "bob@example.com",
         "--subject", f"from the re-exported INI ({lang})", "--body", "ok"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(sb.mailbox.messages()) - before >= 4 + len(accounts)

    # Setup records were written (md, json, html) for each notebook that exports.
    records = set((home / "records").glob("*")) - records_before
    assert len([r for r in records if r.suffix == ".json"]) >= 3, records
    docs = [json.loads(r.read_text()) for r in records if r.suffix == ".json"]
    assert all(d["send"]["ok"] is True for d in docs)
    assert all(d["extra"]["autorun"] is True and d["extra"]["notebook_language"] == lang for d in docs)
    with_steps = [d for d in docs if d["steps"]]
    assert len(with_steps) >= 2 and all(s["done"] for d in with_steps for s in d["steps"])
    assert {d["provider"] for d in docs} == {"google", "microsoft"}
    assert any(d["doctor"] for d in docs)  # 03 ran the doctor before exporting

    # Nothing secret in the saved notebooks or the records.
    secrets = known_secrets(home, sb)
    assert len(secrets) >= 5
    for path in [*outputs.values(), *records]:
        text = path.read_text(encoding="utf-8")
        for secret in secrets:
            assert secret not in text, (path.name, secret[:6] + "…")
    # nbclient saves the widget state (JupyterLab is pinned not to): even then no secret is in it.
    assert any("widgets" in json.loads(p.read_text())["metadata"] for p in outputs.values())


def test_committed_notebooks_stay_clean_after_the_runs() -> None:
    """Running must not have touched the committed files (outputs are saved elsewhere)."""
    for lang in ("en", "ja"):
        for name in NAMES:
            nb = json.loads((NB / lang / name).read_text(encoding="utf-8"))
            assert all(c.get("outputs", []) == [] for c in nb["cells"])
