"""The public API as text: one line per public name (and per public method of a public class).

``python tests/api_surface.py`` prints it; ``python tests/api_surface.py --update`` rewrites the snapshot
``tests/api/surface.txt`` — and refuses while a changed name is not named in CHANGELOG.md under
"Unreleased". ``tests/test_api.py`` compares the snapshot with the code.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "tests" / "api" / "surface.txt"
CHANGELOG = ROOT / "CHANGELOG.md"
#: The namespaces whose ``__all__`` is public.
NAMESPACES = ("oauthmail", "oauthmail.consent", "oauthmail.sandbox", "oauthmail.testing")


def _sig(obj: Any) -> str:
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return "(...)"


#: Classes outside the root whose methods are public too (the object the pytest fixture gives).
METHODS_TOO = {"oauthmail.sandbox.SandboxSession"}
#: Classes a user builds: their constructor is pinned. The others are results a user reads: their fields are
#: pinned one per line, so a new field is an addition, not a change.
BUILT_BY_USERS = {"oauthmail.Mailer", "oauthmail.TokenFile", "oauthmail.sandbox.SandboxSession"}


def _fields(cls: type) -> list[str]:
    import dataclasses

    if dataclasses.is_dataclass(cls):
        return [f.name for f in dataclasses.fields(cls) if not f.name.startswith("_")]
    return [name for name in getattr(cls, "_fields", ()) if not name.startswith("_")]


def _describe(qualname: str, value: Any, methods: bool = True) -> list[str]:
    if isinstance(value, ModuleType):
        if callable(value):  # oauthmail.doctor, oauthmail.explain, oauthmail.consent.google (see _callable.py)
            return [f"{qualname}{_sig(value)}  [callable module]"]
        return [f"{qualname}  [module]"]
    if hasattr(value, "_pytestfixturefunction") or type(value).__name__ == "FixtureFunctionDefinition":
        wrapped = getattr(value, "__wrapped__", None) or getattr(value, "_get_wrapped_function", lambda: value)()
        return [f"{qualname}{_sig(wrapped)}  [pytest fixture]"]
    if inspect.isclass(value):
        if not methods:  # a class of a sub-namespace: its name (constructors there grow with the sandbox)
            return [f"class {qualname}"]
        if issubclass(value, BaseException):  # caught, not built: its bases and methods are what users meet
            lines = [f"class {qualname}({', '.join(b.__name__ for b in value.__bases__)})"]
        elif qualname in BUILT_BY_USERS or not _fields(value):
            lines = [f"class {qualname}{_sig(value)}"]
        else:
            lines = [f"class {qualname}"] + [f"{qualname}.{name}  [field]" for name in _fields(value)]
        for name, member in sorted(vars(value).items()):
            if name.startswith("_"):
                continue
            if isinstance(member, property):
                lines.append(f"{qualname}.{name}  [property]")
            elif isinstance(member, (classmethod, staticmethod)):
                lines.append(f"{qualname}.{name}{_sig(getattr(value, name))}")
            elif inspect.isfunction(member):
                lines.append(f"{qualname}.{name}{_sig(member)}")
        return lines
    if callable(value):
        return [f"{qualname}{_sig(value)}"]
    return [f"{qualname}: {type(value).__name__}"]


def surface() -> list[str]:
    """Every public name with its signature, in a stable order (the root's classes with their methods)."""
    import importlib

    lines: list[str] = []
    for ns in NAMESPACES:
        module = importlib.import_module(ns)
        for name in sorted(module.__all__):
            if name == "__version__":
                lines.append(f"{ns}.__version__: str")
                continue
            qualname = f"{ns}.{name}"
            lines += _describe(qualname, getattr(module, name), ns == "oauthmail" or qualname in METHODS_TOO)
    return lines


def read_snapshot() -> list[str]:
    return [line for line in SNAPSHOT.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]


def subject(line: str) -> str:
    """The public name a line is about (``oauthmail.Mailer.send`` for a method, without ``class``)."""
    text = line.removeprefix("class ")
    return re.split(r"[(: ]", text, maxsplit=1)[0]


def changed_names(old: list[str], new: list[str]) -> list[str]:
    """Names whose line was removed or changed (a line only added — a new name, a new field — is not a change)."""
    return sorted({subject(line) for line in set(old) - set(new)})


def unreleased() -> str:
    """The text of CHANGELOG.md's Unreleased section."""
    text = CHANGELOG.read_text(encoding="utf-8")
    match = re.search(r"^## \[Unreleased\][^\n]*\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    return match.group(1) if match else ""


def mentioned(name: str, section: str) -> bool:
    """Whether the Unreleased section names it in backticks (``oauthmail.send`` or ``send(``…)."""
    short = name.split(".")[-1]
    return re.search(rf"`[^`]*\b{re.escape(short)}\b[^`]*`", section) is not None


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    now = surface()
    if "--update" not in argv:
        print("\n".join(now))
        return 0
    first = not SNAPSHOT.exists()  # the first snapshot records what is there
    missing = [] if first else [n for n in changed_names(read_snapshot(), now) if not mentioned(n, unreleased())]
    if missing:
        print("Say what changed in CHANGELOG.md under '## [Unreleased]' first, naming: " + ", ".join(missing),
              file=sys.stderr)
        return 1
    SNAPSHOT.parent.mkdir(exist_ok=True)
    SNAPSHOT.write_text("# The public API (tests/test_api.py). Regenerate: python tests/api_surface.py --update\n"
                        + "\n".join(now) + "\n", encoding="utf-8")
    print(f"wrote {SNAPSHOT.relative_to(ROOT)} ({len(now)} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
