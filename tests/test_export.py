"""`oauthmail export`: each tool's configuration, run with the real tool where Debian has it, against the sandbox."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sandbox_fixtures import *  # noqa: F403
from test_core_support import GOOGLE_USER, MS_USER, secrets_in, write_ini

from oauthmail import tokenfile
from oauthmail.errors import ConfigError
from oauthmail.export import TOOLS, parse_exports, render, write_export
from oauthmail.export.context import ExportContext
from oauthmail.export.postfix import write_token_file

KIT = [sys.executable, "-m", "oauthmail"]


def run_kit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KIT, *args], capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})


def no_secret(text: str, secrets: list[str]) -> None:
    for s in secrets:
        assert s not in text


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_every_export_is_secret_free_and_points_at_oauthmail_token(sandbox: Any, tmp_path: Path, tool: str,
                                                                    provider: str) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, provider)
    secrets = secrets_in(ini)
    written = write_export(ini, tool, out=tmp_path / "out" if tool == "postfix" else None, kit=KIT)
    text = "".join(p.read_text() for p in written.paths)
    no_secret(text, secrets)
    assert "token" in text and str(ini.resolve()) in text
    for p in written.paths:
        assert p.stat().st_mode & 0o077 == 0 or p.suffix in (".oauthmail", ".service", ".timer")
    acc = tokenfile.read(ini).account()
    assert tool in parse_exports(acc.extra["exports"])  # the setup record shows which tool got which file
    assert secrets_in(ini) == secrets  # noting the export kept every secret of the INI


def test_refuses_an_export_holding_a_secret(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    secret = secrets_in(ini)[0]
    from oauthmail.export import tools

    def leaky(ctx: ExportContext) -> Any:
        exp = tools.msmtp(ctx)
        return type(exp)(exp.tool, (type(exp.files[0])("x", f"password {secret}\n"),), exp.usage)

    monkeypatch.setitem(tools.RENDERERS, "msmtp", leaky)
    with pytest.raises(ConfigError) as info:
        write_export(ini, "msmtp", out=tmp_path / "x")
    assert info.value.code == "secret_in_export" and not (tmp_path / "x").exists()


def test_unknown_tool_says_which_exist(tmp_path: Path, sandbox: Any) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    p = run_kit("export", "--ini", str(ini), "--for", "outlook-express")
    assert p.returncode != 0 and "error: " in p.stderr and "hint: " in p.stderr and "msmtp" in p.stderr
    assert "Traceback" not in p.stderr


@pytest.mark.skipif(not shutil.which("msmtp"), reason="Debian's msmtp is not installed")
@pytest.mark.parametrize(("provider", "security"), [("google", "starttls"), ("google", "ssl"), ("microsoft", "starttls")])
def test_msmtp_delivers_with_the_exported_file(sandbox: Any, tmp_path: Path, provider: str, security: str) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, provider, security=security, cached=False)  # msmtp's passwordeval refreshes
    out = tmp_path / "msmtprc"
    p = run_kit("export", "--ini", str(ini), "--for", "msmtp", "--out", str(out))
    assert p.returncode == 0, p.stderr
    user = GOOGLE_USER if provider == "google" else MS_USER
    msg = f"From: {user}\nTo: bob@example.com\nSubject: via msmtp\n\nhello from msmtp\n"
    r = subprocess.run(["msmtp", "-C", str(out), "-a", user, "bob@example.com"], input=msg, text=True,
                       capture_output=True, timeout=60, env={**os.environ, "PYTHONPATH": str(Path.cwd())})
    assert r.returncode == 0, r.stderr
    (got,) = sandbox.mailbox.messages()
    assert got["Subject"] == "via msmtp" and got["X-Sandbox-Authenticated-User"] == user
    no_secret(out.read_text() + r.stdout + r.stderr, secrets_in(ini))


@pytest.mark.skipif(not shutil.which("msmtp"), reason="Debian's msmtp is not installed")
def test_msmtp_export_of_a_sandbox_ini_works_in_a_new_terminal(sandbox: Any, tmp_path: Path) -> None:
    """`make demo` or a notebook made the INI; the export and msmtp run later in a terminal whose
    SSL_CERT_FILE does not name the sandbox's CA: the export names that CA (tls_trust_file), not nothing."""
    ini = sandbox.state_dir / "demo.ini"  # where the kit looks for the sandbox of an INI (beside it)
    write_ini(sandbox, ini, cached=False)
    terminal = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")}
    out = tmp_path / "msmtprc"
    p = subprocess.run([sys.executable, "-m", "oauthmail", "export", "--ini", str(ini), "--for", "msmtp", "--out",
                        str(out)], capture_output=True, text=True, timeout=60, env=terminal)
    assert p.returncode == 0, p.stderr
    assert f'tls_trust_file "{sandbox.state_dir / "ca.pem"}"' in out.read_text()
    msg = f"From: {GOOGLE_USER}\nTo: bob@example.com\nSubject: from a new terminal\n\nhello\n"
    r = subprocess.run(["msmtp", "-C", str(out), "-a", GOOGLE_USER, "bob@example.com"], input=msg, text=True,
                       capture_output=True, timeout=60, env={**terminal, "PYTHONPATH": str(Path.cwd())})
    assert r.returncode == 0, r.stderr
    (got,) = sandbox.mailbox.messages()
    assert got["Subject"] == "from a new terminal"
    no_secret(out.read_text() + r.stdout + r.stderr, secrets_in(ini))


def test_an_export_for_a_real_provider_names_no_sandbox_ca(sandbox: Any, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    ini = sandbox.state_dir / "real.ini"
    ini.write_text("[oauthmail]\nversion = 1\n\n[alice@gmail.com]\nprovider = google\nclient_id = 123.apps."
                   "googleusercontent.com\nclient_secret = GOCSPX-abcdefgh\nrefresh_token = 1//0abcdefgh\n",
                   encoding="utf-8")
    ini.chmod(0o600)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    text = "".join(f.text for f in render(ini, "msmtp").files)
    assert "tls_trust_file" not in text and "smtp.gmail.com" in text


@pytest.mark.skipif(not shutil.which("curl"), reason="curl is not installed")
def test_curl_script_delivers(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    (script,) = write_export(ini, "curl", out=tmp_path / "c.sh", kit=KIT).paths
    eml = tmp_path / "m.eml"
    eml.write_text(f"From: {GOOGLE_USER}\r\nTo: bob@example.com\r\nSubject: via curl\r\n\r\nhi\r\n")
    r = subprocess.run(["sh", str(script), "bob@example.com", str(eml)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    (got,) = sandbox.mailbox.messages()
    assert got["Subject"] == "via curl"
    no_secret(r.stdout + r.stderr, secrets_in(ini))


def test_python_snippet_delivers(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, "microsoft")
    (script,) = write_export(ini, "python", out=tmp_path / "s.py", kit=KIT).paths
    r = subprocess.run([sys.executable, str(script), "bob@example.com", "via smtplib"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    (got,) = sandbox.mailbox.messages()
    assert got["Subject"] == "via smtplib"


def test_git_config_parses_and_helper_answers_get_only(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    (cfg,) = write_export(ini, "git-send-email", out=tmp_path / "g", kit=KIT).paths
    listed = subprocess.run(["git", "config", "-f", str(cfg), "--list"], capture_output=True, text=True, check=True)
    assert "sendemail.smtpauth=XOAUTH2" in listed.stdout
    # git itself runs the credential helper, as git send-email does (protocol smtp, host:port)
    host_port = f"{sandbox.smtp_host}:{sandbox.smtp_starttls_port}"
    env = {**os.environ, "GIT_CONFIG_GLOBAL": str(cfg), "GIT_CONFIG_NOSYSTEM": "1"}
    r = subprocess.run(["git", "credential", "fill"], input=f"protocol=smtp\nhost={host_port}\n\n", text=True,
                       capture_output=True, env=env, timeout=60, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    fields = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
    acc = tokenfile.read(ini).account()
    assert fields["username"] == GOOGLE_USER and fields["password"] == acc.access_token


def test_postfix_token_file_is_what_sasl_xoauth2_reads(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, "microsoft", cached=False)
    written = write_export(ini, "postfix", out=tmp_path / "pf", kit=KIT)
    names = {p.name: p for p in written.paths}
    main = names["main.cf.oauthmail"].read_text()
    assert "smtp_sasl_mechanism_filter = xoauth2" in main and "smtp_sasl_auth_enable = yes" in main
    template = json.loads(names["sasl-xoauth2-token.json"].read_text())
    assert template["manage_token_externally"] == "true" and template["access_token"] == ""
    assert "refresh_token" not in template and "client_secret" not in template
    service = next(p for n, p in names.items() if n.endswith(".service")).read_text()
    assert "--sasl-xoauth2-file" in service
    # what the timer runs: the real command, writing the token file the plugin reads
    token_file = tmp_path / "spool" / "tokens" / f"{MS_USER}.json"
    p = run_kit("token", "--ini", str(ini), "--sasl-xoauth2-file", str(token_file))
    assert p.returncode == 0 and p.stdout == "", p.stderr
    data = json.loads(token_file.read_text())
    acc = tokenfile.read(ini).account()
    assert data["access_token"] == acc.access_token and data["user"] == MS_USER
    assert "refresh_token" not in data and token_file.stat().st_mode & 0o777 == 0o600
    assert int(data["expiry"]) > int(acc.access_token_expires_at.timestamp()) - 5  # type: ignore[union-attr]
    # a second run with a fresh token does not refresh (one refresher: the kit, under the INI's lock)
    before = len(sandbox.token_requests)
    write_token_file(ini, None, token_file)
    assert len(sandbox.token_requests) == before


def test_out_dash_prints_and_japanese_comments(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    p = run_kit("export", "--ini", str(ini), "--for", "neomutt", "--out", "-", "--lang", "ja")
    assert p.returncode == 0, p.stderr
    assert "set smtp_authenticators = \"xoauth2\"" in p.stdout and "smtp_oauth_refresh_command" in p.stdout
    assert "秘密情報は含まれていません" in p.stdout
    no_secret(p.stdout + p.stderr, secrets_in(ini))
    assert "exports" not in tokenfile.read(ini).account().extra  # printing writes nothing


def test_mutt_url_encodes_the_login(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    exp = render(ini, "mutt", kit=KIT)
    assert f"smtp://alice%40example.com@{sandbox.smtp_host}:" in exp.files[0].text


def test_setup_record_lists_the_exports(sandbox: Any, tmp_path: Path) -> None:
    from oauthmail.record import build_record, render

    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    w1 = write_export(ini, "msmtp", out=tmp_path / "rc", kit=KIT)
    write_export(ini, "postfix", out=tmp_path / "pf", kit=KIT)
    rec = build_record(ini)
    assert parse_exports(rec.exports) == {"msmtp": str(w1.paths[0]), "postfix": str(tmp_path / "pf")}
    md = render(rec, "md")
    assert "Exported configurations" in md and "msmtp=" in md
    no_secret(md, secrets_in(ini))


def _mailer_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {**os.environ, "HOME": str(home), "PYTHONPATH": str(Path.cwd()), "TMPDIR": str(tmp_path)}


@pytest.mark.parametrize("tool", ["neomutt", "mutt"])
def test_mutt_family_delivers_in_batch_mode_with_the_exported_file(sandbox: Any, tmp_path: Path, tool: str) -> None:
    if not shutil.which(tool):
        pytest.skip(f"Debian's {tool} is not installed (apt-get install {tool})")
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, cached=False)  # the refresh command gets the token (and refreshes it)
    rc = tmp_path / f"{tool}.rc"
    p = run_kit("export", "--ini", str(ini), "--for", tool, "--out", str(rc))
    assert p.returncode == 0, p.stderr
    body = tmp_path / "body.txt"
    body.write_text(f"hello from {tool}\n")
    with body.open() as stdin:
        r = subprocess.run([tool, "-n", "-F", str(rc), "-e", "set copy=no", "-s", f"via {tool}", "--",
                            "bob@example.com"], stdin=stdin, capture_output=True, text=True, timeout=90,
                           env=_mailer_env(tmp_path), cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    (got,) = sandbox.mailbox.messages()
    assert got["Subject"] == f"via {tool}" and got["X-Sandbox-Authenticated-User"] == GOOGLE_USER
    assert f"hello from {tool}" in got.get_payload()
    no_secret(rc.read_text() + r.stdout + r.stderr, secrets_in(ini))


def _perl_has(module: str) -> bool:
    return shutil.which("perl") is not None and subprocess.run(["perl", f"-M{module}", "-e1"],
                                                               capture_output=True).returncode == 0


def _git_send_email(cfg: Path, eml: Path, tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True)
    env = {**env, "GIT_CONFIG_GLOBAL": str(cfg), "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "Alice",
           "GIT_AUTHOR_EMAIL": GOOGLE_USER, "GIT_COMMITTER_NAME": "Alice", "GIT_COMMITTER_EMAIL": GOOGLE_USER}
    return subprocess.run(["git", "send-email", "--confirm=never", "--no-validate", "--to=bob@example.com",
                           "--no-chain-reply-to", str(eml)], capture_output=True, text=True, timeout=90, env=env,
                          cwd=tmp_path / "repo")


def _eml(tmp_path: Path, subject: str) -> Path:
    eml = tmp_path / "m.eml"
    eml.write_text(f"From: {GOOGLE_USER}\nTo: bob@example.com\nSubject: {subject}\n\nhello from git send-email\n")
    return eml


def _git_missing() -> str:
    if not Path(subprocess.run(["git", "--exec-path"], capture_output=True, text=True).stdout.strip(),
                "git-send-email").exists():
        return "git send-email is not installed (apt-get install git-email)"
    if not _perl_has("Authen::SASL"):
        return "git send-email needs Authen::SASL for AUTH (apt-get install libauthen-sasl-perl)"
    if not _perl_has("Mail::Address"):
        return "git send-email needs Mail::Address (apt-get install libmailtools-perl)"
    return ""


def test_git_send_email_delivers_with_the_exported_config(sandbox: Any, tmp_path: Path) -> None:
    if _git_missing():
        pytest.skip(_git_missing())
    if not _perl_has("Authen::SASL::Perl::XOAUTH2"):
        pytest.skip("this Authen::SASL has no XOAUTH2 (Debian 12 ships 2.1600; XOAUTH2 came in 2.1700): "
                    "git send-email goes through `oauthmail relay` here (next test)")
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, cached=False)
    (cfg,) = write_export(ini, "git-send-email", out=tmp_path / "g", kit=KIT).paths
    r = _git_send_email(cfg, _eml(tmp_path, "via git send-email"), tmp_path, _mailer_env(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    (got,) = sandbox.mailbox.messages()
    assert got["Subject"] == "via git send-email" and got["X-Sandbox-Authenticated-User"] == GOOGLE_USER
    no_secret(cfg.read_text() + r.stdout + r.stderr, secrets_in(ini))


def test_git_send_email_through_the_relay_with_auth_plain(sandbox: Any, tmp_path: Path) -> None:
    """Debian 12's git send-email cannot do XOAUTH2: AUTH PLAIN with the relay password, the relay does XOAUTH2."""
    if _git_missing():
        pytest.skip(_git_missing())
    from oauthmail.relay import Relay, RelayLog, logins, set_password

    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    _, password = set_password(ini, GOOGLE_USER)
    lines: list[str] = []

    class Sink:
        def write(self, s: str) -> int:
            lines.append(s)
            return len(s)

        def flush(self) -> None:
            pass

    relay = Relay(ini, logins(ini), port=0, log=RelayLog(Sink())).start()  # type: ignore[arg-type]
    try:
        cfg = tmp_path / "gitconfig"
        helper = '!f() { test "$1" = get || exit 0; echo "password=$OAUTHMAIL_RELAY_PASSWORD"; }; f'
        cfg.write_text(f"[sendemail]\n\tsmtpServer = 127.0.0.1\n\tsmtpServerPort = {relay.port}\n"
                       f"\tsmtpUser = {GOOGLE_USER}\n\tsmtpAuth = PLAIN\n\tfrom = {GOOGLE_USER}\n"
                       f'[credential "smtp://127.0.0.1:{relay.port}"]\n\thelper = "{helper}"\n')
        env = {**_mailer_env(tmp_path), "OAUTHMAIL_RELAY_PASSWORD": password}
        r = _git_send_email(cfg, _eml(tmp_path, "git via relay"), tmp_path, env)
    finally:
        relay.stop()
    assert r.returncode == 0, r.stdout + r.stderr
    (got,) = sandbox.mailbox.messages()
    assert got["Subject"] == "git via relay" and got["X-Sandbox-Authenticated-User"] == GOOGLE_USER
    no_secret(cfg.read_text() + r.stdout + r.stderr + "".join(lines), [*secrets_in(ini), password])


def _comments(text: str) -> list[str]:
    """What a person reads in an exported file: comments, docstrings, systemd descriptions, usage lines."""
    import re

    found = [line.strip() for line in text.splitlines()
             if line.lstrip().startswith("#") and not line.startswith("#!") and line.strip() != "#"]
    found += re.findall(r'"""(.+?)"""', text, re.S)
    found += [line for line in text.splitlines() if line.startswith("Description=") or "echo \"" in line]
    return found


@pytest.mark.parametrize("tool", TOOLS)
def test_japanese_export_comments_in_japanese_directives_as_they_are(sandbox: Any, tmp_path: Path, tool: str) -> None:
    import re

    japanese = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    ja, en = render(ini, tool, lang="ja", kit=KIT), render(ini, tool, lang="en", kit=KIT)
    assert [f.name for f in ja.files] == [f.name for f in en.files]
    for ja_file, en_file in zip(ja.files, en.files, strict=True):
        comments = _comments(ja_file.text)
        assert bool(comments) == bool(_comments(en_file.text)), ja_file.name  # (lines wrap differently)
        english = [c for c in comments if not japanese.search(c)]
        assert not english, f"{tool} {ja_file.name}: comments left in English: {english}"
        assert not japanese.search(en_file.text), f"{tool} {en_file.name}"
        # The tool's own words are the same in both: only comments and texts differ.
        strip = [line for line in ja_file.text.splitlines() if not japanese.search(line)]
        assert strip == [line for line in en_file.text.splitlines() if line in strip]
        if ja_file.name.endswith(".sh"):
            assert subprocess.run(["sh", "-n"], input=ja_file.text, text=True).returncode == 0
        if ja_file.name.endswith(".py"):
            compile(ja_file.text, ja_file.name, "exec")


def test_japanese_python_script_delivers_with_its_japanese_subject(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, "microsoft")
    (script,) = write_export(ini, "python", out=tmp_path / "s.py", kit=KIT, lang="ja").paths
    r = subprocess.run([sys.executable, str(script), "bob@example.com"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "送信しました", r.stderr
    (got,) = sandbox.mailbox.messages()
    assert got["Subject"] == "smtplib からのテスト"
