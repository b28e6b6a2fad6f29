"""A module that can be called like its main function: ``oauthmail.doctor(ini)``, ``oauthmail.consent.google(...)``.

The public call and the module behind it share a name (``oauthmail/doctor.py`` runs the checks that
``oauthmail.doctor(...)`` runs). A plain function bound over the module's name would be replaced by
the module the moment anything imports it (``from oauthmail.doctor import Doctor``), so the module
itself is made callable: ``oauthmail.doctor`` is always the module, ``oauthmail.doctor(...)`` calls
its function, ``inspect.signature`` follows ``__wrapped__`` to that function, and
``oauthmail.doctor.Doctor`` still works. Type checkers see the function (``TYPE_CHECKING`` imports
in the package ``__init__``).
"""

from __future__ import annotations

import sys
import types

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


class CallableModule(types.ModuleType):
    """A module whose call is ``__wrapped__`` (its main function)."""

    __wrapped__: Callable[..., Any]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__wrapped__(*args, **kwargs)


def make_callable(module_name: str, function: Callable[..., Any]) -> None:
    """Let ``sys.modules[module_name](...)`` call ``function`` (the module stays what it is)."""
    module = sys.modules[module_name]
    module.__class__ = CallableModule
    module.__dict__["__wrapped__"] = function
