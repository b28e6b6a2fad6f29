"""Each student's files private on a shared host: everything under OAUTHMAIL_HOME 0600, folders 0700.

On a hub every student is a system user of one machine, and the kit's folder holds their token INI,
their practice sandbox (its keys and mailbox) and their setup records. The kit writes each of those
private, but a copy made by hand, an unpacked archive or a umask of 022 can leave a file readable by
the others. :func:`tighten` is run when a notebook starts (``Session.create``): it takes group and
other permissions away from what the student owns there and says what it changed. (A folder that
others may *write*, OAUTHMAIL_HOME itself included, is the token file's own warning; this module
does not repeat it.)

Usage::

    for change in tighten(paths.home()):
        print(change.describe("ja"))
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..i18n import Msg

TIGHTENED = Msg(
    en="{path} was readable by other users (mode {old}); it is now {new}.",
    ja="{path} は他のユーザーから読める状態でした（パーミッション {old}）。{new} に変更しました。",
)
NOT_OURS = Msg(
    en="{path} belongs to another user and is readable by others (mode {old}); ask its owner or the hub's "
    "administrator to run `chmod go= {path}`.",
    ja="{path} は別のユーザーの所有で、他のユーザーから読める状態です（パーミッション {old}）。所有者かハブの管理者に "
    "`chmod go= {path}` を実行してもらってください。",
)


@dataclass(frozen=True)
class Loose:
    """One file or folder that others could read or enter, and what it was changed to (if it was)."""

    path: str
    old: int
    new: int | None
    is_dir: bool

    def describe(self, lang: str | None = None) -> str:
        if self.new is None:
            return NOT_OURS.format(lang, path=self.path, old=oct(self.old))
        return TIGHTENED.format(lang, path=self.path, old=oct(self.old), new=oct(self.new))


def private_mode(mode: int, is_dir: bool) -> int:
    """The owner's bits only (a folder keeps ``rwx`` for its owner, a file its ``rw`` and any ``x``)."""
    return 0o700 if is_dir else stat.S_IMODE(mode) & 0o700


def walk(home: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """``home`` and everything under it, without following symbolic links."""
    yield home, home.lstat()
    for root, dirs, files in os.walk(home, followlinks=False):
        for name in (*dirs, *files):
            path = Path(root) / name
            try:
                yield path, path.lstat()
            except OSError:
                continue


def loose(home: Path) -> list[Loose]:
    """Files and folders under ``home`` with any group or other permission (nothing is changed)."""
    found: list[Loose] = []
    for path, st in walk(home):
        if stat.S_ISLNK(st.st_mode) or not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
            continue
        if stat.S_IMODE(st.st_mode) & 0o077:
            found.append(Loose(str(path), stat.S_IMODE(st.st_mode), None, stat.S_ISDIR(st.st_mode)))
    return found


def tighten(home: str | Path) -> list[Loose]:
    """Make what the current user owns under ``home`` private; what they cannot change is reported."""
    root = Path(home)
    if os.name != "posix" or not root.is_dir():
        return []
    me = os.geteuid()
    changes: list[Loose] = []
    for item in loose(root):
        path = Path(item.path)
        try:
            if path.lstat().st_uid != me and me != 0:
                changes.append(item)
                continue
            new = private_mode(item.old, item.is_dir)
            os.chmod(path, new)
            changes.append(Loose(item.path, item.old, new, item.is_dir))
        except OSError:
            changes.append(item)
    return changes
