"""Twenty processes through one token INI at once: all succeed and no refresh token is lost.

The sandbox runs in strict rotation mode (a used Microsoft refresh token stops working), so a
process that wrote back an older refresh token would break every later refresh.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sandbox_fixtures import *  # noqa: F403  (the sandbox fixture)
from test_core_support import secrets_in, write_ini

from oauthmail import TokenError, tokenfile
from oauthmail.tokens import get_access_token

N = 20


@pytest.fixture
def sandbox_config() -> dict[str, Any]:
    return {"microsoft_rotation_invalidates_old": True}


def refreshes(sb: Any) -> int:
    return sum(1 for r in sb.token_requests if r.get("grant_type") == "refresh_token")


def wait_all(procs: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=180)
        out.append((p.returncode, stdout, stderr))
    return out


def test_twenty_senders_one_refresh_all_delivered(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    toks = write_ini(sandbox, ini, "microsoft", cached=False)
    before = refreshes(sandbox)
    procs = [subprocess.Popen([sys.executable, "-m", "oauthmail", "send", "--ini", str(ini), "--to",
                               "erin@contoso.example", "--subject", f"n{i}", "--body", "b"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
             for i in range(N)]
    results = wait_all(procs)
    assert all(rc == 0 for rc, _, _ in results), [e for _, _, e in results if e]
    assert len(sandbox.mailbox.messages()) == N
    # the lock + re-read means one process refreshed and the 19 others used its token
    assert refreshes(sandbox) - before == 1
    final = tokenfile.read(ini).account()
    assert final.refresh_token != toks["refresh_token"]
    for _, out, err in results:
        for s in [*secrets_in(ini), toks["refresh_token"]]:
            assert s not in out + err
    assert get_access_token(ini, force_refresh=True).refreshed  # the stored refresh token is the live one


FORCE = "import sys; from oauthmail.tokens import get_access_token; get_access_token(sys.argv[1], force_refresh=True)"


def test_twenty_concurrent_rotations_lose_nothing(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    toks = write_ini(sandbox, ini, "microsoft", cached=False)
    before = refreshes(sandbox)
    procs = [subprocess.Popen([sys.executable, "-c", FORCE, str(ini)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(N)]
    results = wait_all(procs)
    assert all(rc == 0 for rc, _, _ in results), [e for _, _, e in results if e]
    assert refreshes(sandbox) - before == N  # each rotated in turn, each from the latest token
    tok = get_access_token(ini, force_refresh=True)
    assert tok.refreshed
    assert (ini.stat().st_mode & 0o777) == 0o600
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    # the check is meaningful: a superseded refresh token really is refused
    tokenfile.update_account(ini, toks["user"], refresh_token=toks["refresh_token"])
    with pytest.raises(TokenError):
        get_access_token(ini, force_refresh=True)
