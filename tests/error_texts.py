"""Every error the test suite makes is rendered in both languages; a ``{name}`` left unfilled fails the test.

Loaded from ``tests/conftest.py`` (``pytest_plugins``). Each :class:`~oauthmail.errors.OAuthMailError`
built while a test runs (in this process) is checked at once: the placeholders its ``what`` and
``hint`` templates name, in English and Japanese, must all be among the parameters it carries
(:meth:`~oauthmail.errors.OAuthMailError.text_params`). The test that made it fails at teardown,
naming the error, the language and the missing names — so an ``(HTTP 400 {code})`` cannot come back.
Errors made in subprocesses (the command line) are covered by the static check in
``tests/test_error_placeholders.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from oauthmail.errors import OAuthMailError
from oauthmail.i18n import LANGS

_unfilled: list[str] = []
_seen: list[int] = [0]


def unfilled(exc: OAuthMailError) -> list[str]:
    """``"<type> <lang> what|hint: {a}, {b}"`` for each text of ``exc`` that would show a ``{name}``."""
    given = set(exc.text_params())
    found = []
    for lang in LANGS:
        for part, msg in (("what", exc.what_msg), ("hint", exc.hint_msg)):
            missing = sorted(msg.placeholders(lang) - given)
            if missing:
                found.append(f"{type(exc).__name__}(code={exc.code!r}) {lang} {part}: "
                             + ", ".join("{" + m + "}" for m in missing) + f" in {msg.text(lang)[:80]!r}")
    return found


_original_init = OAuthMailError.__init__


def _checking_init(self: OAuthMailError, *args: Any, **kwargs: Any) -> None:
    _original_init(self, *args, **kwargs)
    _seen[0] += 1
    _unfilled.extend(unfilled(self))


OAuthMailError.__init__ = _checking_init  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def every_error_text_is_filled() -> Iterator[None]:
    """Fails the test (at teardown) if an error it made would print an unfilled ``{placeholder}``."""
    del _unfilled[:]
    yield
    found, _unfilled[:] = list(_unfilled), []
    if found:
        pytest.fail("error texts with unfilled placeholders:\n  " + "\n  ".join(dict.fromkeys(found)))


def errors_seen() -> int:
    """How many errors the checker has rendered in this process (for its own test)."""
    return _seen[0]
