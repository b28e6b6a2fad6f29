"""A class on a real JupyterHub: marker ``hub``, and one clear line when the hub test cannot run here.

The hub test creates system users, so it needs root; the hub's proxy is configurable-http-proxy from
npm (``make hub-proxy`` puts it in ``.venv/hub-node``, ``make test`` does so by itself as root when npm
is installed); the students' environment is built from ``/usr/bin/python3``; the browser is Debian's
Chromium, as for tests/browser.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))  # studentenv.py, hubwalk.py
sys.path.insert(0, str(HERE.parent / "browser"))  # labdriver.py: the Chromium launch shared with tests/browser

SKIP_LINE = "hub test skipped: {reason}"


def hub_skip_reason() -> str:
    """Why the hub test cannot run on this machine ("" when it can)."""
    from labdriver import browser_skip_reason
    from studentenv import CHP, SYSTEM_PYTHON

    if os.environ.get("OAUTHMAIL_SKIP_HUB", "").strip() in ("1", "true", "yes"):
        return "OAUTHMAIL_SKIP_HUB is set"
    if sys.platform != "linux":
        return "it needs Linux (system users, LocalProcessSpawner)"
    if os.geteuid() != 0:
        return "it needs root (it creates ten system users); run it as root, as CI does"
    for tool in ("useradd", "userdel", "runuser", "curl"):
        if shutil.which(tool) is None:
            return f"{tool} not found"
    if shutil.which("node") is None and shutil.which("nodejs") is None:
        return "node not found — install it with `sudo apt-get install nodejs npm`"
    if not CHP.exists():
        return f"configurable-http-proxy not found at {CHP} — run `make hub-proxy` (needs npm)"
    if not SYSTEM_PYTHON.exists():
        return f"{SYSTEM_PYTHON} not found (the students' environment is built from it)"
    reason = browser_skip_reason()
    return f"the browser cannot run: {reason}" if reason else ""


_SKIPPED_KEY = pytest.StashKey[str]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    ours = [item for item in items if HERE in Path(str(item.fspath)).resolve().parents]
    if not ours:
        return
    reason = hub_skip_reason()
    for item in ours:
        item.add_marker(pytest.mark.hub)
        item.add_marker(pytest.mark.slow)
        if reason:
            item.add_marker(pytest.mark.skip(reason=SKIP_LINE.format(reason=reason)))
    config.stash[_SKIPPED_KEY] = reason


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    # The per-student timings table the test records (record_property "timings_table"), shown without ``-s``.
    for reports in terminalreporter.stats.values():
        for report in reports:
            table = dict(getattr(report, "user_properties", []) or []).get("timings_table")
            if table and getattr(report, "when", "") == "call":
                terminalreporter.write_sep("-", f"hub test timings ({report.outcome}): seconds since each "
                                                "student opened the hub")
                for line in str(table).splitlines():
                    terminalreporter.write_line(line)
    reason = config.stash.get(_SKIPPED_KEY, "")
    if reason:
        terminalreporter.write_line(SKIP_LINE.format(reason=reason), yellow=True, bold=True)
