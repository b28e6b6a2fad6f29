"""English and Japanese texts, as named constants next to the code that shows them.

Every text a person can see is a :class:`Msg` with both languages. Modules define their
messages as module-level constants (``NO_ACCOUNT = Msg(en=..., ja=...)``) in the style of
google-auth-oauthlib's ``_DEFAULT_*_MESSAGE`` constants; ``tests/test_i18n.py`` finds every
``Msg`` in the package and checks that both languages exist and use the same placeholders.

The language is chosen, in order, by an explicit ``lang=`` argument, :func:`set_language`,
``OAUTHMAIL_LANG``, then the usual locale variables (``LC_ALL``, ``LC_MESSAGES``, ``LANG``):
anything starting with ``ja`` means Japanese, everything else English.
"""

from __future__ import annotations

import os

from .._plain import Frozen

# Start-up time matters here (every ``oauthmail`` command imports this module): no ``typing``,
# ``dataclasses`` or ``string`` at run time. ``Lang`` is ``str`` at run time, a Literal for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    Lang = Literal["en", "ja"]
else:
    Lang = str

LANGS: tuple[Lang, ...] = ("en", "ja")

_forced: Lang | None = None


def set_language(lang: str | None) -> None:
    """Fix the language for this process (``None`` goes back to the environment)."""
    global _forced
    _forced = normalize_lang(lang) if lang else None


def normalize_lang(value: str | None) -> Lang:
    """Map ``ja``, ``ja_JP.UTF-8``, ``Japanese``… to ``"ja"``; anything else to ``"en"``."""
    v = (value or "").strip().lower()
    return "ja" if v.startswith("ja") else "en"


def current_language() -> Lang:
    """The language texts are shown in when no ``lang=`` is given."""
    if _forced:
        return _forced
    for var in ("OAUTHMAIL_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return normalize_lang(value)
    return "en"


def pick(en: str, ja: str) -> str:
    """``en`` or ``ja`` in :func:`current_language`, for a text used at once (a command's ``--help``).

    Both languages sit side by side where the text is used; ``tests/test_cli_help.py`` builds every
    parser in both languages and fails when an option's help is missing or left in English.
    """
    return ja if current_language() == "ja" else en


class Msg(Frozen):
    """One text in both languages, with ``{name}`` placeholders filled by :meth:`format`.

    Immutable and compared by value (a :class:`~oauthmail._plain.Frozen` value class, not a
    dataclass: importing ``dataclasses`` costs the command several milliseconds of start-up).
    """

    __slots__ = ("en", "ja")
    __match_args__ = ("en", "ja")
    _fields = ("en", "ja")
    en: str
    ja: str

    def __init__(self, en: str, ja: str) -> None:
        self._set(en=en, ja=ja)

    def text(self, lang: str | None = None) -> str:
        """The raw template in ``lang`` (default: :func:`current_language`)."""
        chosen = normalize_lang(lang) if lang else current_language()
        return self.ja if chosen == "ja" else self.en

    def format(self, lang: str | None = None, /, **params: object) -> str:
        """The text in ``lang`` with placeholders filled; unknown placeholders stay visible.

        A parameter that is itself a :class:`Msg` (an OS error's wording, a value shown to people) is
        filled in the same language.
        """
        template = self.text(lang)
        for key, value in params.items():
            if isinstance(value, Msg):
                params[key] = value.format(lang or current_language())
        try:
            text = template.format_map(_KeepMissing(params))
        except (ValueError, IndexError, KeyError, AttributeError, TypeError):
            # Positional fields and other oddities: the general formatter decides (and raises
            # exactly what it always raised).
            text = _safe_formatter().format(template, **params)
        return unnest_brackets(text) if template is self.ja and self.ja != self.en else text

    def __call__(self, lang: str | None = None, /, **params: object) -> str:
        return self.format(lang, **params)

    def placeholders(self, lang: Lang) -> set[str]:
        """The ``{names}`` a language's template uses (for the catalog test)."""
        import string

        return {name for _, name, _, _ in string.Formatter().parse(self.text(lang)) if name}


def unnest_brackets(text: str) -> str:
    """No full-width brackets inside full-width brackets (docs/glossary.ja.md, 表記ルール「括弧の入れ子」):
    an inner pair that ends where the outer one ends becomes 「: 」 — a reason 「（{reason}）」 filled with an OS
    error's 「接続を拒否されました（Connection refused）」 reads 「（接続を拒否されました: Connection refused）」.
    """
    if text.count("（") < 2:
        return text
    chars = list(text)
    opened: list[int] = []
    for i, ch in enumerate(chars):
        if ch == "（":
            opened.append(i)
        elif ch == "）" and opened:
            start = opened.pop()
            if opened and chars[i + 1:i + 2] == ["）"]:
                chars[start], chars[i] = ": ", ""
    return "".join(chars)


class _KeepMissing(dict[str, object]):
    """Parameters for :meth:`str.format_map`: a missing ``{name}`` is left in place."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _safe_formatter() -> _SafeFormatterType:
    """:class:`string.Formatter` that leaves ``{missing}`` in place (built on first use: start-up time)."""
    global _formatter
    if _formatter is None:
        import string

        class _SafeFormatter(string.Formatter):
            def get_value(self, key: int | str, args: object, kwargs: dict[str, object]) -> object:  # type: ignore[override]
                if isinstance(key, str):
                    return kwargs.get(key, "{" + key + "}")
                return super().get_value(key, args, kwargs)  # type: ignore[arg-type]

        _formatter = _SafeFormatter()
    return _formatter


if TYPE_CHECKING:
    from string import Formatter as _SafeFormatterType
_formatter: _SafeFormatterType | None = None


def both(msg: Msg, **params: object) -> str:
    """Japanese and English together, for places that cannot know the reader's language."""
    return f"{msg.format('ja', **params)} / {msg.format('en', **params)}"
