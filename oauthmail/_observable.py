"""A status, a message and the listeners a view subscribes to redraw itself.

Why a module of its own: the notebooks' step controllers (:mod:`oauthmail.ui.controllers`) and the
trainer's (:mod:`oauthmail.classroom.trainer`) are both thin-view models; the classroom package must not
import the widgets' package to get it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

Listener = Callable[[], None]


class Observable:
    """``status`` and ``message``; :meth:`subscribe` a listener, which every change calls (its errors ignored)."""

    def __init__(self) -> None:
        self.status = "idle"
        self.message = ""
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            with contextlib.suppress(Exception):
                listener()
