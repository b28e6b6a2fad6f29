"""``python -m oauthmail.sandbox [--state-dir DIR] …`` is ``oauthmail sandbox …``."""

from __future__ import annotations

import sys

from ..cli import main

if __name__ == "__main__":
    sys.exit(main(["sandbox", *sys.argv[1:]]))
