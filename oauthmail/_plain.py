"""Small value classes for the send path, without :mod:`dataclasses`.

Why: ``oauthmail send`` is a new process each time, and importing :mod:`dataclasses` pulls in
:mod:`inspect`, :mod:`ast`, :mod:`dis` and :mod:`tokenize` and builds each class at import time —
several milliseconds of start-up that a bare smtplib script does not pay. Classes on that path
derive from :class:`Plain` (mutable, compared by value, unhashable: what ``@dataclass`` gave) or
:class:`Frozen` (immutable and hashable: ``@dataclass(frozen=True)``), declare ``__slots__``,
``_fields`` (constructor order) and write their own ``__init__``.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    _P = TypeVar("_P", bound="Plain")


def _plain_value(value: object) -> object:
    """``dataclasses.asdict``'s deep copy: value objects become dicts, containers are copied."""
    if isinstance(value, (Plain, Frozen)):
        return value.to_dict()
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
        named: Any = type(value)
        return named(*[_plain_value(v) for v in value])
    if isinstance(value, (list, tuple)):
        return type(value)(_plain_value(v) for v in value)
    if isinstance(value, dict):
        return type(value)((_plain_value(k), _plain_value(v)) for k, v in value.items())
    import copy

    return copy.deepcopy(value)


class Plain:
    """Mutable value object: ``==`` compares ``_compare`` fields of the same class; not hashable."""

    __slots__ = ()
    #: Field names in constructor order (``repr``, :meth:`to_dict`, :meth:`replace`).
    _fields: tuple[str, ...] = ()
    #: Fields ``==`` compares (default: all of ``_fields``).
    _compare: tuple[str, ...] | None = None

    def _compared(self) -> tuple[object, ...]:
        names = self._fields if self._compare is None else self._compare
        return tuple(getattr(self, name) for name in names)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Plain)
        return self._compared() == other._compared()

    __hash__ = None  # type: ignore[assignment]  # mutable: like a dataclass with eq=True

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__qualname__}({shown})"

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict, deep-copied like :func:`dataclasses.asdict`."""
        return {name: _plain_value(getattr(self, name)) for name in self._fields}

    def replace(self: _P, **changes: Any) -> _P:
        """A copy with some fields changed (like :func:`dataclasses.replace`)."""
        values = {name: getattr(self, name) for name in self._fields}
        unknown = set(changes) - set(values)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field(s) {', '.join(sorted(unknown))}")
        values.update(changes)
        return type(self)(**values)


class Frozen:
    """Immutable value object compared and hashed by its fields."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def _set(self, **values: object) -> None:
        """Set fields from ``__init__`` (ordinary assignment is refused)."""
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Frozen)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__qualname__}({shown})"

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (type(self), self._values())

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict, deep-copied like :func:`dataclasses.asdict`."""
        return {name: _plain_value(getattr(self, name)) for name in self._fields}
