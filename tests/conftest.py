"""Shared fixtures. Every test runs with its own throw-away OAUTHMAIL_HOME."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs property tests on a fixed, reproducible set of examples (a red CI must mean a real regression, and
# the same failure must show up on a developer's machine); locally they explore new examples each run.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# oauthmail.testing is also a pytest11 entry point (loaded first when oauthmail is installed; then this is a no-op).
pytest_plugins = ["tests.sandbox_fixtures", "tests.error_texts", "oauthmail.testing"]


@pytest.fixture(scope="session", autouse=True)
def no_sandbox_left_running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A sandbox brought up as a process of its own (a notebook, an INI's send) is stopped when the run ends."""
    yield
    from oauthmail.sandbox.lifecycle import stop_all_under

    stop_all_under(tmp_path_factory.getbasetemp())


@pytest.fixture(autouse=True)
def oauthmail_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point OAUTHMAIL_HOME at a fresh folder and make the language predictable (English)."""
    home = tmp_path_factory.mktemp("oauthmail-home")
    monkeypatch.setenv("OAUTHMAIL_HOME", str(home))
    monkeypatch.setenv("OAUTHMAIL_LANG", "en")
    # Every sandbox a test starts (here or in a kernel it launches) refuses sign-ins without PKCE S256.
    monkeypatch.setenv("OAUTHMAIL_SANDBOX_PKCE", "required")
    from oauthmail import secrets
    from oauthmail.i18n import set_language

    set_language(None)
    secrets.forget()  # secret values remembered for redaction: per test, so tests stay independent
    yield home
    set_language(None)
