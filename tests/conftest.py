"""Shared fixtures. Every test runs with its own throw-away OAUTHMAIL_HOME."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.sandbox_fixtures"]


@pytest.fixture(autouse=True)
def oauthmail_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point OAUTHMAIL_HOME at a fresh folder and make the language predictable (English)."""
    home = tmp_path_factory.mktemp("oauthmail-home")
    monkeypatch.setenv("OAUTHMAIL_HOME", str(home))
    monkeypatch.setenv("OAUTHMAIL_LANG", "en")
    from oauthmail.i18n import set_language

    set_language(None)
    yield home
    set_language(None)
