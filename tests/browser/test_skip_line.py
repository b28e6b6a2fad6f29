"""Without Chromium, `make test` says in one line that the browser tests were skipped and how to enable them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

NEEDS_CHROMIUM = False  # this test checks what happens when Chromium is missing

HERE = Path(__file__).resolve().parent


def test_missing_chromium_prints_one_clear_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["OAUTHMAIL_CHROMIUM"] = str(tmp_path / "no-chromium-here")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(HERE / "test_harness.py"), "-q", "-p", "no:cacheprovider"],
        cwd=HERE.parent.parent, env=env, capture_output=True, text=True, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert re.search(r"\b\d+ skipped\b", out) and " passed" not in out and " failed" not in out, out
    line = (f"browser tests skipped: {tmp_path / 'no-chromium-here'} not found — install it with "
            "`sudo apt-get install chromium fonts-noto-cjk`")
    assert line in out
