"""``oauthmail register|unregister microsoft`` end to end in a subprocess, against the sandbox's Graph and Entra.

The sandbox's simulated person plays the browser for both sign-ins (the bootstrap client, then the
new app); everything goes over real sockets with real TLS, MSAL and smtplib.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from oauthmail import tokenfile
from oauthmail.registration import microsoft_bodies as bodies

DAVE = "dave@contoso.example"  # Global Administrator in the default sandbox
ERIN = "erin@contoso.example"  # a member without an admin role


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(sb: Any, home: Path, lang: str = "en") -> dict[str, str]:
    env = dict(os.environ)
    env.update(sb.env())
    env["OAUTHMAIL_HOME"] = str(home)
    env["OAUTHMAIL_LANG"] = lang
    for var in ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY", "JUPYTERHUB_USER"):
        env.pop(var, None)
    return env


def register(sb: Any, home: Path, *args: str, user: str = DAVE, lang: str = "en",
             command: str = "register", how: str = "--no-browser") -> tuple[int, str, str]:
    """Run the command with --no-browser; every sign-in address it prints is approved as ``user``."""
    proc = subprocess.Popen([sys.executable, "-m", "oauthmail", command, "microsoft", "--authority",
                             sb.microsoft_authority, how, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env(sb, home, lang))
    out: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        out.append(line)
        if line.startswith("https://"):
            threading.Thread(target=sb.approve, args=(line.strip(), user), daemon=True).start()
    err = proc.stderr.read() if proc.stderr else ""
    proc.wait(timeout=120)
    return proc.returncode, "".join(out), err


def send(sb: Any, home: Path, ini: Path, to: str = ERIN, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oauthmail", "send", "--ini", str(ini), "--to", to, "--subject",
                           "after register", "--body", "hello", *extra], capture_output=True, text=True,
                          env=_env(sb, home), timeout=120)


def _all_text(home: Path) -> str:
    """Every file the kit wrote under OAUTHMAIL_HOME except the INI itself (records, registry, flows)."""
    parts = []
    for p in home.rglob("*"):
        if p.is_file() and p.suffix != ".ini":
            parts.append(p.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


def test_done_when_public_register_then_send(sandbox: Any, tmp_path: Path) -> None:
    """The issue's done-when: register with --ini, then `oauthmail send --ini` delivers; nothing copied by hand."""
    home = tmp_path / "home"
    ini = home / "my.ini"
    rc, out, err = register(sandbox, home, "--ini", str(ini), "--email", DAVE)
    assert rc == 0, err
    assert "Traceback" not in err
    for step in ("Create the app registration", "service principal", "Consent for the whole organisation",
                 "Wait until Microsoft knows", "Send a test message", "Write the setup record"):
        assert f"[✓] {step}" in err or step in err
    acc = tokenfile.read(ini).account(DAVE)
    assert acc.client_secret == "" and acc.refresh_token
    assert acc.extra["app_registered_by"] == "oauthmail register microsoft"
    state = sandbox.directory_state
    app = next(a for a in state["applications"] if a["appId"] == acc.client_id)
    assert acc.extra["app_object_id"] == app["id"]
    # the admin granted consent for everyone (AllPrincipals) with the permissions the app asks for
    assert any(g["consentType"] == "AllPrincipals" and "SMTP.Send" in g["scope"] for g in state["grants"])
    sandbox.mailbox.clear()
    done = send(sandbox, home, ini)
    assert done.returncode == 0, done.stderr
    assert [m["Subject"] for m in sandbox.mailbox.messages()] == ["after register"]
    registry = json.loads((home / "registrations" / f"microsoft-{acc.client_id}.json").read_text())
    assert registry["object_id"] == app["id"] and registry["redirect_uris"] == list(bodies.PUBLIC_REDIRECTS)
    assert registry["permissions"] == ["SMTP.Send", "offline_access", "openid", "email"]
    for secret in acc.secrets():
        assert secret not in out + err + _all_text(home)


def test_web_client_secret_goes_only_into_the_ini(sandbox: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    ini = home / "web.ini"
    rc, out, err = register(sandbox, home, "--client-type", "web", "--secret-days", "30", "--ini", str(ini),
                            "--email", DAVE, "--redirect-uri", f"http://localhost:{_free_port()}/callback", "--json")
    assert rc == 0, err
    acc = tokenfile.read(ini).account(DAVE)
    assert re.fullmatch(r"[A-Za-z0-9]{3}8Q~[A-Za-z0-9_.~-]{34}", acc.client_secret)
    assert acc.extra["client_secret_expires_at"].startswith(("20",))
    assert acc.extra.get("client_type") in ("confidential", "web", None)
    summary = json.loads(out[out.index("{"):])
    assert summary["client_type"] == "web" and summary["secret_expires_at"] == acc.extra["client_secret_expires_at"]
    assert summary["redirect_uris"] == [bodies.WEB_REDIRECT]
    text = out + err + _all_text(home)
    assert acc.client_secret not in text and acc.client_secret[3:] not in text
    assert acc.refresh_token not in text
    sandbox.mailbox.clear()
    assert send(sandbox, home, ini).returncode == 0


def test_graph_transport_and_japanese(sandbox: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    ini = home / "g.ini"
    rc, _out, err = register(sandbox, home, "--transport", "graph", "--ini", str(ini), "--email", DAVE, lang="ja")
    assert rc == 0, err
    assert "アプリの登録を作成" in err and "テストメールを送信" in err
    acc = tokenfile.read(ini).account(DAVE)
    assert acc.transport == "graph" and acc.scopes == ["https://graph.microsoft.com/Mail.Send"]
    assert acc.graph_url == sandbox.graph_url
    messages = sandbox.mailbox.messages()
    assert messages and messages[-1]["X-Sandbox-Transport"] == "graph"


def test_non_admin_gets_the_admin_consent_url_and_consents_herself(sandbox: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    ini = home / "erin.ini"
    rc, _out, err = register(sandbox, home, "--ini", str(ini), "--email", ERIN, user=ERIN)
    assert rc == 0, err
    acc = tokenfile.read(ini).account(ERIN)
    url = f"{sandbox.microsoft_authority}/adminconsent?client_id={acc.client_id}"
    assert url in err and "not an administrator" in err
    assert not sandbox.directory_state["grants"]


def test_user_consent_blocked_for_non_admin(sandbox: Any, tmp_path: Path) -> None:
    sandbox.set_directory(users_can_consent=False)
    home = tmp_path / "home"
    rc, _out, err = register(sandbox, home, "--ini", str(home / "x.ini"), "--email", ERIN, user=ERIN)
    assert rc == 1
    assert "adminconsent?client_id=" in err  # the address for an admin was shown before consent failed
    assert "cannot consent to apps themselves" in err  # read from the tenant's authorizationPolicy
    lines = err.strip().splitlines()
    assert lines[-2].startswith("error: ") and "admin" in lines[-2].lower()
    assert "[✗] Sign in with the new app (consent)" in err
    assert lines[-1].startswith("hint: ")


def test_tenant_switch_off_offers_the_manual_path(sandbox: Any, tmp_path: Path) -> None:
    sandbox.set_directory(users_can_register_apps=False)
    home = tmp_path / "home"
    rc, _out, err = register(sandbox, home, "--email", ERIN, user=ERIN)
    assert rc == 1 and "Traceback" not in err
    error, hint = err.strip().splitlines()[-2:]
    assert error.startswith("error: ") and "Authorization_RequestDenied" in error
    assert hint.startswith("hint: ") and "Users can register applications" in hint and "consent microsoft" in hint
    assert sandbox.directory_state["applications"] == []
    # an admin still may
    rc, _out, err = register(sandbox, home, "--email", DAVE)
    assert rc == 0, err


def test_propagation_delay_shows_a_countdown_then_works(sandbox: Any, tmp_path: Path) -> None:
    sandbox.set_directory(app_propagation_delay=3)
    home = tmp_path / "home"
    ini = home / "late.ini"
    rc, _out, err = register(sandbox, home, "--ini", str(ini), "--email", DAVE)
    assert rc == 0, err
    assert "AADSTS700016 right after creation is expected" in err and "s left" in err
    assert "The new app is known to sign-in" in err
    assert tokenfile.read(ini).account(DAVE).refresh_token


def test_propagation_never_ends_within_wait(sandbox: Any, tmp_path: Path) -> None:
    sandbox.set_directory(app_propagation_delay=600)
    home = tmp_path / "home"
    rc, _out, err = register(sandbox, home, "--ini", str(home / "x.ini"), "--wait", "2")
    assert rc == 1
    error, hint = err.strip().splitlines()[-2:]
    assert "AADSTS700016" in error and "oauthmail consent microsoft --client-id" in hint


def test_unregister_removes_the_app_and_its_tokens_stop_working(sandbox: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    ini = home / "gone.ini"
    rc, _out, err = register(sandbox, home, "--ini", str(ini), "--email", DAVE, "--no-test")
    assert rc == 0, err
    client_id = tokenfile.read(ini).account(DAVE).client_id
    rc, out, err = register(sandbox, home, "--client-id", client_id, "--json", command="unregister")
    assert rc == 0, err
    assert json.loads(out.strip().splitlines()[-1])["app_id"] == client_id
    assert sandbox.directory_state["applications"] == []
    registry = json.loads((home / "registrations" / f"microsoft-{client_id}.json").read_text())
    assert registry["removed_at"]
    refreshed = subprocess.run([sys.executable, "-m", "oauthmail", "token", "--ini", str(ini), "--force-refresh"],
                               capture_output=True, text=True, env=_env(sandbox, home), timeout=60)
    assert refreshed.returncode == 1 and "error:" in refreshed.stderr, refreshed.stderr
    assert "AADSTS700016" in refreshed.stderr or "was not found in the directory" in refreshed.stderr
    assert send(sandbox, home, ini).returncode != 0
    rc, _out, err = register(sandbox, home, "--client-id", client_id, command="unregister")
    assert rc == 1 and "no app registration with the client ID" in err


def test_bad_input_says_what_to_do(sandbox: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    for args, words in ((("--client-type", "web"), "--ini"), (("--secret-days", "0"), "1 から 730"),
                        (("--client-type", "web", "--ini", "x.ini"), "--client-type public")):
        rc, _out, err = register(sandbox, home, *args, lang="ja" if "0" in args else "en",
                                 how="--device-code" if "x.ini" in args else "--no-browser")
        assert rc != 0 and "Traceback" not in err, err
        assert words in err, err


def test_bodies_follow_graph_v1() -> None:
    pub = bodies.application_body("x", client_type="public", transport="smtp", accounts="single")
    assert pub["signInAudience"] == "AzureADMyOrg" and pub["isFallbackPublicClient"] is True
    assert pub["publicClient"]["redirectUris"][0] == "http://localhost" and "web" not in pub
    ids = [ra["id"] for ra in pub["requiredResourceAccess"][0]["resourceAccess"]]
    assert ids == ["258f6531-6087-4cc4-bb90-092c5fb3ed3f", "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
                   "37f7f235-527c-4136-accd-4a02d197296e", "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0"]
    web = bodies.application_body("x", client_type="web", transport="graph", accounts="personal")
    assert web["web"]["redirectUris"] == ["http://localhost:48888/callback"] and "publicClient" not in web
    assert web["signInAudience"] == "AzureADandPersonalMicrosoftAccount"
    assert web["api"] == {"requestedAccessTokenVersion": 2}
    assert web["requiredResourceAccess"][0]["resourceAccess"][0]["id"] == "e383f46e-2787-4529-855e-0e479a3ffac0"
    assert bodies.sign_in_audience("multi") == "AzureADMultipleOrgs"
    assert bodies.grant_body("c", "g", "smtp") == {"clientId": "c", "consentType": "AllPrincipals",
                                                   "resourceId": "g", "scope": "SMTP.Send offline_access openid email"}
    assert bodies.filter_query("appId", "a'b") == "?%24filter=appId%20eq%20%27a%27%27b%27"
    assert bodies.bootstrap_scopes(bodies.AZURE_CLI) == ["https://graph.microsoft.com/.default"]
    with pytest.raises(ValueError):
        bodies.password_body(0)


def test_catalog_entries_speak_both_languages() -> None:
    from oauthmail import explain
    from oauthmail.registration._catalog_microsoft import REGISTRATION_SAMPLES

    for entry_id, texts in REGISTRATION_SAMPLES.items():
        for text in texts:
            entry = explain.explain(text)
            assert entry is not None and entry.id == entry_id, text
            for lang in ("en", "ja"):
                assert entry.fix.format(lang) and entry.what.format(lang)


def test_catalog_keeps_general_entries_for_the_persons_own_app() -> None:
    from oauthmail import explain

    general = explain.explain("AADSTS53003: Access has been blocked by Conditional Access policies.")
    assert general is not None and general.id == "aadsts-50076"
    own = explain.explain("AADSTS65001: The user or administrator has not consented to use the application with ID "
                          "'5b1c3d7e-2f4a-4b6c-8d9e-0a1b2c3d4e5f' named 'my mailer'.")
    assert own is not None and own.id == "aadsts-65001"


def test_smtp_auth_off_names_the_exchange_fix_and_offers_graph(sandbox: Any, tmp_path: Path) -> None:
    sandbox.set_smtp_auth_disabled(DAVE)
    home = tmp_path / "home"
    ini = home / "off.ini"
    rc, _out, err = register(sandbox, home, "--ini", str(ini), "--email", DAVE)
    assert rc == 1 and "Traceback" not in err
    error, hint = err.strip().splitlines()[-2:]
    assert error.startswith("error: ") and "5.7.139" in error
    assert "Manage email apps" in hint and "Authenticated SMTP" in hint
    assert f"Set-CASMailbox -Identity {DAVE} -SmtpClientAuthenticationDisabled $false" in hint
    assert "--transport graph" in hint and f"--ini {ini}" in hint
    assert tokenfile.read(ini).account(DAVE).refresh_token  # the app and the INI are kept
    # the route that needs no admin: consent again for Graph with the same app, then send
    client_id = tokenfile.read(ini).account(DAVE).client_id
    assert f"--client-id {client_id}" in hint


def _interactive(sb: Any, home: Path, how: str, *args: str) -> tuple[int, str, str]:
    """--paste (the address the browser ended on goes to stdin) or --device-code (the code entered elsewhere)."""
    proc = subprocess.Popen([sys.executable, "-m", "oauthmail", "register", "microsoft", "--authority",
                             sb.microsoft_authority, how, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env(sb, home))
    assert proc.stdout is not None and proc.stdin is not None
    out: list[str] = []
    for line in proc.stdout:
        out.append(line)
        if how == "--paste" and line.startswith("https://"):
            proc.stdin.write(sb.approve(line.strip(), DAVE, follow=False) + "\n")
            proc.stdin.flush()
        code = re.search(r"enter the code\s+([A-Z0-9]{6,})", line)
        if how == "--device-code" and code:
            threading.Thread(target=sb.approve_device_code, args=(code.group(1), DAVE), daemon=True).start()
    err = proc.stderr.read() if proc.stderr else ""
    proc.wait(timeout=120)
    return proc.returncode, "".join(out), err


@pytest.mark.parametrize("how", ["--paste", "--device-code"])
def test_remote_kernels_paste_or_device_code(sandbox: Any, tmp_path: Path, how: str) -> None:
    home = tmp_path / "home"
    ini = home / "remote.ini"
    rc, out, err = _interactive(sandbox, home, how, "--ini", str(ini), "--email", DAVE, "--no-test")
    assert rc == 0, err
    acc = tokenfile.read(ini).account(DAVE)
    assert acc.refresh_token and acc.extra["app_registered_by"] == "oauthmail register microsoft"
    if how == "--device-code":
        assert out.count("enter the code") == 2  # the bootstrap sign-in, then the new app's consent
    else:
        assert "paste here the full address" in err
    for secret in acc.secrets():
        assert secret not in out + err


def test_user_consent_notes() -> None:
    assert bodies.user_consent_note(None) == ""
    assert bodies.user_consent_note(["ManagePermissionGrantsForSelf.microsoft-user-default-legacy"]) == ""
    assert bodies.user_consent_note(["ManagePermissionGrantsForSelf.microsoft-user-default-low"]) == "verified_only"
    assert bodies.user_consent_note([]) == "none"


def test_graph_url_may_carry_its_version() -> None:
    from oauthmail.registration.microsoft_graph import Graph

    for given in ("https://graph.microsoft.com", "https://graph.microsoft.com/", "https://graph.microsoft.com/v1.0",
                  "https://graph.microsoft.com/beta"):
        g = Graph(given, "eyJ0eXAiOiJKV1Qi.secret-token")
        assert g.base == "https://graph.microsoft.com/v1.0" and "secret-token" not in repr(g)
        g.close()
