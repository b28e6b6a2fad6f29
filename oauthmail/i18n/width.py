"""How many columns a text takes on a console: a CJK character takes two (tables, wrapped ``--help``).

Imported where a table or help text is drawn, not on the send path.
"""

from __future__ import annotations

from unicodedata import east_asian_width


def is_wide(ch: str) -> bool:
    """A character a terminal draws two columns wide (East Asian Wide or Fullwidth)."""
    return east_asian_width(ch) in ("W", "F")


def display_width(text: str) -> int:
    """Columns ``text`` takes on a console."""
    return sum(2 if is_wide(c) else 1 for c in text)
