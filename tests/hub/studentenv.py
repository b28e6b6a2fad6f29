"""The Python environment the hub and every student's JupyterLab run from, readable by all students.

The test venv cannot serve (it lives under /root, mode 0700), so this builds one from the system's
Python (``/usr/bin/python3``, Debian's), the way docs/classroom.md says a trainer does: JupyterHub and
``oauthmail[notebook]`` in an environment every student can read. The dependencies take minutes to
install, so the environment is kept between runs in ``/var/cache/oauthmail-hub/students-<key>``, the
key being a hash of pyproject.toml and the JupyterHub version; only the kit itself (this checkout,
``--no-deps``) is installed again on every run, in seconds.

    python tests/hub/studentenv.py        # build (or refresh) it by hand and print its folder
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
SYSTEM_PYTHON = Path(os.environ.get("OAUTHMAIL_HUB_PYTHON") or "/usr/bin/python3")
#: The JupyterHub the test runs (the hub and each student's jupyterhub-singleuser come from it).
JUPYTERHUB = "jupyterhub==6.1.1"
#: ``make hub-proxy`` installs configurable-http-proxy here; ``OAUTHMAIL_CHP`` names another one.
CHP = Path(os.environ.get("OAUTHMAIL_CHP") or REPO / ".venv" / "hub-node" / "node_modules" / ".bin" / "configurable-http-proxy")
CACHE = Path(os.environ.get("OAUTHMAIL_HUB_CACHE") or "/var/cache/oauthmail-hub")


def env_key() -> str:
    """A hash of what the environment holds: the kit's run-time and notebook dependencies, the hub, the Python."""
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = [*project["dependencies"], *project["optional-dependencies"]["notebook"], JUPYTERHUB, str(SYSTEM_PYTHON)]
    return hashlib.sha256("\n".join(deps).encode()).hexdigest()[:16]


def env_dir() -> Path:
    return CACHE / f"students-{env_key()}"


def _pip(python: Path, *args: str, log: Path, timeout: float) -> None:
    with open(log, "ab") as out:
        proc = subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", *args],
                              stdout=out, stderr=subprocess.STDOUT, timeout=timeout, check=False)
    if proc.returncode:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-25:]
        raise RuntimeError(f"pip {' '.join(args[:3])}… failed ({proc.returncode}); {log}:\n" + "\n".join(tail))


def ensure(log: Path | None = None, timeout: float = 900.0) -> Path:
    """The environment's folder, built if missing, with this checkout's kit installed in it."""
    target = env_dir()
    log = log or CACHE / "build.log"
    CACHE.mkdir(parents=True, exist_ok=True)
    os.chmod(CACHE, 0o755)
    python = target / "bin" / "python"
    ready = target / ".deps-installed"
    if not ready.exists():
        started = time.monotonic()
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run([str(SYSTEM_PYTHON), "-m", "venv", str(target)], check=True, timeout=120)
        # The kit's dependencies (from pyproject, through a wheel of this checkout) and the hub; hatchling so
        # that later runs can install the kit without build isolation (no index needed then).
        _pip(python, "install", "-q", "hatchling", JUPYTERHUB, f"{REPO}[notebook]", log=log, timeout=timeout)
        ready.write_text(f"{time.monotonic() - started:.0f} s\n", encoding="utf-8")
    # This checkout's kit, fresh every run (the dependencies stay).
    _pip(python, "install", "-q", "--no-deps", "--no-build-isolation", "--force-reinstall", str(REPO),
         log=log, timeout=300)
    subprocess.run(["chmod", "-R", "a+rX", str(target)], check=True, timeout=120)
    return target


if __name__ == "__main__":
    started = time.monotonic()
    path = ensure(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    print(f"{path} ({time.monotonic() - started:.0f} s)")
