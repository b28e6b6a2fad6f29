"""No error text prints an unfilled ``{placeholder}`` (issue 11, item 3).

Three layers: the error itself makes every parameter it carries available to its texts (``code``,
``details``, ``smtp_code`` and the named parameters); every error the test suite makes is rendered
in both languages by ``tests/error_texts.py`` (the test that made it fails otherwise); and, for the
paths no test reaches (and errors made in a subprocess), every ``XxxError(MSG, HINT, ...)`` call in
the package is read from the source and checked against the placeholders of its two texts.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import Any

from oauthmail.errors import ConfigError, NetworkError, OAuthMailError
from oauthmail.i18n import LANGS, Msg
from oauthmail.transports._http import API_REFUSED, API_REFUSED_HINT
from tests.error_texts import errors_seen, unfilled

PACKAGE = Path(__file__).resolve().parent.parent / "oauthmail"


def test_the_code_an_error_carries_fills_its_texts() -> None:
    """The bug as it was met: ``(HTTP 400 {code})`` and ``oauthmail explain "{code}"``."""
    exc = NetworkError(API_REFUSED, API_REFUSED_HINT, service="Microsoft Graph", status=400,
                       reply="Resource not found for the segment 'sendMail'.", code="BadRequest")
    for lang in LANGS:
        assert "{" not in exc.what(lang) and "{" not in exc.hint(lang), lang
        assert "BadRequest" in exc.what(lang) and '"BadRequest"' in exc.hint(lang)
    assert unfilled(exc) == []
    assert exc.to_dict("ja")["error"].count("BadRequest") == 1


def test_a_missing_parameter_is_reported_with_its_name_and_language() -> None:
    what = Msg(en="{service} said {reply}", ja="{service} の応答: {reply}")
    exc = ConfigError(what, Msg(en="see {url}", ja="{url} を見てください"), service="Graph", code="x")
    found = unfilled(exc)
    assert len(found) == 4 and all("{reply}" in f or "{url}" in f for f in found), found
    assert {f.split()[1] for f in found} == {"en", "ja"}
    import tests.error_texts as checker

    del checker._unfilled[:]  # made on purpose: this test must not fail at teardown


def test_the_suite_wide_checker_is_installed() -> None:
    before = errors_seen()
    ConfigError(Msg(en="x", ja="x"))
    assert errors_seen() == before + 1


# --- every error call in the source ----------------------------------------------------------------


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.append((".".join(parts), path))
    return out


def _resolve(node: ast.expr, namespace: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, namespace)
        return getattr(base, node.attr, None) if base is not None else None
    return None


def _error_calls() -> list[tuple[str, int, type, Msg, Msg | None, set[str]]]:
    calls = []
    for name, path in _modules():
        module = importlib.import_module(name)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            cls = _resolve(node.func, vars(module))
            if not (isinstance(cls, type) and issubclass(cls, OAuthMailError)):
                continue
            if any(k.arg is None for k in node.keywords):  # **params spread: checked at run time only
                continue
            what = _resolve(node.args[0], vars(module))
            hint = _resolve(node.args[1], vars(module)) if len(node.args) > 1 else None
            if not isinstance(what, Msg):
                continue
            given = {str(k.arg) for k in node.keywords}
            calls.append((f"{path.relative_to(PACKAGE.parent)}:{node.lineno}", node.lineno, cls, what,
                          hint if isinstance(hint, Msg) else None, given))
    return calls


def test_every_error_call_in_the_package_gives_what_its_texts_name() -> None:
    calls = _error_calls()
    assert len(calls) > 150, len(calls)  # the check reads the real calls, not a handful
    problems = []
    for where, _line, _cls, what, hint, given in calls:
        for lang in LANGS:
            for part, msg in (("what", what), ("hint", hint)):
                if msg is None:
                    continue
                missing = msg.placeholders(lang) - given
                if missing:
                    problems.append(f"{where} {part} ({lang}): " + ", ".join(sorted(missing)))
    assert not problems, "\n".join(problems)
