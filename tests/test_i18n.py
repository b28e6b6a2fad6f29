"""Every user-facing text exists in English and Japanese with the same placeholders."""

from __future__ import annotations

import importlib
import pkgutil

import oauthmail
from oauthmail.i18n import Msg, current_language, normalize_lang, set_language


def _all_messages() -> list[tuple[str, Msg]]:
    found: list[tuple[str, Msg]] = []
    for info in pkgutil.walk_packages(oauthmail.__path__, "oauthmail."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, Msg):
                found.append((f"{info.name}.{name}", value))
    return found


def test_catalog_is_complete_in_both_languages() -> None:
    messages = _all_messages()
    assert len(messages) > 20
    for name, msg in messages:
        assert msg.en.strip(), name
        assert msg.ja.strip(), name
        assert msg.placeholders("en") == msg.placeholders("ja"), name


def test_japanese_texts_are_japanese() -> None:
    for name, msg in _all_messages():
        if msg.ja != msg.en and any(ch.isalpha() for ch in msg.ja) and len(msg.ja) > 12:  # names stay as they are
            assert any("\u3000" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in msg.ja), name


def test_language_selection(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("OAUTHMAIL_LANG", raising=False)
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    assert current_language() == "ja"
    set_language("en")
    assert current_language() == "en"
    set_language(None)
    assert normalize_lang("Japanese") == "ja"
    assert normalize_lang("fr_FR") == "en"


def test_missing_placeholder_does_not_crash() -> None:
    m = Msg(en="a {x} b {y}", ja="a {x} b {y}")
    assert m.format("en", x=1) == "a 1 b {y}"
