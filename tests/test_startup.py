"""Start-up cost of `oauthmail send` (issue 2's benchmark goal) and the plain classes that keep it low.

A send is a new process each time; its wall time against a bare smtplib script is mostly imports.
These tests pin what the send path may import (so the gain cannot silently regress) and check that
the replacements for dataclasses, ``string.Formatter``, eager regexes and ``shutil`` behave as the
originals did.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import pickle
import shutil
import string
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sandbox_fixtures import *  # noqa: F403  (the sandbox, sandbox_config fixtures)
from test_core_support import write_ini

from oauthmail import providers, tokenfile
from oauthmail.cli import terminal_columns
from oauthmail.errors import ConfigError
from oauthmail.i18n import Msg
from oauthmail.mailer import BatchResult, SendResult, SmtpSettings
from oauthmail.record import send_from
from oauthmail.secrets import MASK, redact, secret_shapes
from oauthmail.smtp import Transcript
from oauthmail.tokens import AccessToken, TokenResponse

#: Not on the send path: each costs start-up time (or is a heavy library the send never needs).
FORBIDDEN = ("typing", "dataclasses", "inspect", "contextlib", "shutil", "importlib.util",
             "msal", "google_auth_oauthlib", "requests_oauthlib", "ipywidgets", "requests", "google.auth",
             "aiosmtpd", "cryptography", "oauthmail.transports", "oauthmail.explain", "oauthmail._catalog",
             "gettext")  # argparse gets a stand-in when no catalogue for it exists (oauthmail/cli.py)


#: What the ``oauthmail`` console script runs (``-m oauthmail`` would add runpy's own imports:
#: importlib.util, contextlib).
CONSOLE_SCRIPT = "import sys; from oauthmail.cli import main; sys.exit(main())"


def imported(args: list[str], env: dict[str, str] | None = None) -> set[str]:
    """Modules a new ``oauthmail ...`` process (as the console script starts it) imports."""
    p = subprocess.run([sys.executable, "-X", "importtime", "-c", CONSOLE_SCRIPT, *args], capture_output=True,
                       text=True, timeout=60, env={**os.environ, **(env or {})})
    assert p.returncode == 0, p.stderr[-3000:]
    return {line.split("|")[-1].strip() for line in p.stderr.splitlines() if line.startswith("import time:")}


def offenders(mods: set[str]) -> list[str]:
    return [f for f in FORBIDDEN if any(m == f or m.startswith(f + ".") for m in mods)]


def test_send_help_imports_nothing_it_does_not_need() -> None:
    assert offenders(imported(["send", "--help"])) == []


def test_cached_token_send_imports_nothing_it_does_not_need(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    mods = imported(["send", "--ini", str(ini), "--to", "bob@example.com", "--subject", "s", "--body", "b"])
    assert offenders(mods) == []
    assert {"oauthmail.tokenfile", "oauthmail.mailer", "smtplib", "ssl"} <= mods  # it did run the send
    (msg,) = sandbox.mailbox.messages()
    assert msg["Subject"] == "s"


def test_token_command_imports_nothing_it_does_not_need(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    assert offenders(imported(["token", "--ini", str(ini)])) == []


# --- Msg without dataclasses / string.Formatter -----------------------------------------------------


class _OldFormatter(string.Formatter):
    """The formatter Msg used before (the reference)."""

    def get_value(self, key: int | str, args: Any, kwargs: Any) -> Any:
        if isinstance(key, str):
            return kwargs.get(key, "{" + key + "}")
        return super().get_value(key, args, kwargs)


def _old_format(template: str, **params: object) -> str | type[BaseException]:
    try:
        return _OldFormatter().format(template, **params)
    except Exception as exc:  # the same failure must come out of the new code
        return type(exc)


def _new_format(template: str, **params: object) -> str | type[BaseException]:
    try:
        return Msg(en=template, ja=template).format("en", **params)
    except Exception as exc:
        return type(exc)


def _all_catalog_templates() -> list[str]:
    import importlib
    import pkgutil

    import oauthmail

    found: list[str] = []
    for info in pkgutil.walk_packages(oauthmail.__path__, "oauthmail."):
        if info.name.startswith(("oauthmail.ui", "oauthmail.consent.widgets")) or info.name.endswith("__main__"):
            continue  # widgets need ipywidgets; their texts are checked by test_i18n
        try:
            module = importlib.import_module(info.name)
        except Exception:  # an optional dependency missing here
            continue
        for value in vars(module).values():
            if isinstance(value, Msg):
                found += [value.en, value.ja]
    return found


def test_every_catalog_text_formats_as_before() -> None:
    params = {"path": "/tmp/x.ini", "user": "a@example.com", "reply": "535 5.7.8 no", "elapsed": 1.5, "count": 2,
              "line": 3, "text": "abc", "where": "h:587", "timeout": "30"}
    templates = _all_catalog_templates()
    assert len(templates) > 100
    for template in templates:
        assert _new_format(template, **params) == _old_format(template, **params), template
        assert _new_format(template) == _old_format(template), template


@given(st.text(alphabet=st.sampled_from("{}ab:!r.0[]x "), max_size=12),
       st.dictionaries(st.sampled_from(["a", "b", "x"]), st.one_of(st.integers(), st.text(max_size=3)), max_size=3))
def test_msg_format_matches_the_old_formatter(template: str, params: dict[str, object]) -> None:
    assert _new_format(template, **params) == _old_format(template, **params)


def test_msg_is_an_immutable_value() -> None:
    m = Msg(en="a {x}", ja="あ {x}")
    assert m == Msg("a {x}", "あ {x}") and hash(m) == hash(Msg("a {x}", "あ {x}")) and m != Msg("a", "b")
    assert repr(m) == "Msg(en='a {x}', ja='あ {x}')"
    with pytest.raises(AttributeError):
        m.en = "b"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(m)) == m and copy.deepcopy(m) == m
    assert m.placeholders("ja") == {"x"}
    assert m("ja", x=1) == "あ 1" and m.format("en") == "a {x}"


# --- redact: the cheap pre-test never changes the result ------------------------------------------------


def _redact_always_with_patterns(text: str) -> str:
    out = text
    for pattern in secret_shapes():
        out = pattern.sub((lambda m: (m.group("keep") or "") + MASK + (m.groupdict().get("tail") or ""))
                          if pattern.groups else MASK, out)
    return out


PIECES = ["ya29.", "1//0", "GOCSPX-", "eyJ", "access_token", "Refresh_Token", "ID_TOKEN", "client_secret",
          "code_verifier", "=", ": ", "\"", "'", ".", "-", "_", " ", "abcdefghijkl", "0123456789AB", "K", "\u212a",
          "\u017f", "\u00e9", "\n", "4/0A", "0.A", "M.C5", "EwB", "DAQAB", "dXNlcj", "bixhP", "?code=", "&CODE=",
          "device_code", "password", "https://", "u:", "@", "/"]


@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join))
def test_redact_pre_test_gives_what_the_patterns_give(text: str) -> None:
    assert redact(text) == _redact_always_with_patterns(text)


def test_redact_still_masks_each_shape() -> None:
    for text in ("ya29.abcdefghijklmnop", "1//0abcdefghijklmnopqrstuvwxyz", "GOCSPX-abcdefghijkl",
                 "eyJabcdefghijkl.abcdefghijklm.sig", "refresh_token=abcdefgh", "ACCESS_TOKEN: 'abcdefgh'",
                 "\u212aey ACCESS_TO\u212aEN=abcdefgh"):
        assert redact(text) == _redact_always_with_patterns(text) != text
    assert redact("250 OK queued") == "250 OK queued"


# --- plain classes keep what the dataclasses gave ------------------------------------------------------


def _account(**kw: Any) -> tokenfile.Account:
    base: dict[str, Any] = {"email": "a@example.com", "provider": "google", "client_id": "cid",
                            "refresh_token": "1//0rt-secret-value-xyz", "client_secret": "GOCSPX-secretsecret",
                            "access_token": "ya29.access-token-value"}
    base.update(kw)
    return tokenfile.Account(**base)


def test_account_repr_masks_secrets_and_equality_ignores_lines() -> None:
    acc = _account(lines={"provider": 3})
    text = repr(acc)
    assert text.startswith("Account(email='a@example.com', provider='google', client_id='cid', refresh_token='*****'")
    for secret in acc.secrets():
        assert secret not in text
    assert "lines" not in text and "extra={}" in text
    assert acc == _account() and acc != _account(smtp_port=465)
    with pytest.raises(TypeError):
        hash(acc)
    assert _account().scopes is not _account().scopes  # a fresh default per instance
    positional = tokenfile.Account("a@example.com", "google", "cid", "1//0rt-secret-value-xyz", "GOCSPX-secretsecret")
    assert positional.client_secret == "GOCSPX-secretsecret"
    assert copy.deepcopy(acc) == acc and pickle.loads(pickle.dumps(acc)) == acc
    assert acc.replace(smtp_port=2525).smtp_port == 2525 and acc.smtp_port is None


def test_token_file_defaults_and_equality(tmp_path: Path) -> None:
    tf = tokenfile.TokenFile(tmp_path / "x.ini")
    assert tf.meta == {"version": "1"} and tf.accounts == {} and tf.warnings == []
    assert tf == tokenfile.TokenFile(tmp_path / "x.ini")
    tf.set_account(_account())
    assert tokenfile.parse(tf.render(), tmp_path / "x.ini").accounts == tf.accounts
    assert "ya29." not in repr(tf) and "GOCSPX-" not in repr(tf)


def test_send_result_to_dict_is_what_asdict_gave() -> None:
    @dataclasses.dataclass
    class OldSendResult:  # the dataclass SendResult was
        ok: bool
        message_id: str
        recipients: list[str]
        refused: dict[str, tuple[int, str]]
        transcript: str
        account: str
        host: str
        port: int
        security: str
        elapsed: float
        transport: str = "smtp"
        token_refreshed: bool = False
        warnings: list[str] = dataclasses.field(default_factory=list)

    args = (True, "<m@x>", ["b@x"], {"c@x": (550, "550 no")}, "t", "a@x", "h", 587, "starttls", 0.25)
    new, old = SendResult(*args, warnings=["w"]), OldSendResult(*args, warnings=["w"])
    assert new.to_dict() == dataclasses.asdict(old)
    assert repr(new) == "SendResult(" + repr(old).partition("(")[2]
    assert new.to_dict()["refused"] is not new.refused  # deep copy, like asdict
    assert send_from(new) == send_from(old)
    assert new == SendResult(*args, warnings=["w"]) and new != SendResult(*args)
    assert BatchResult() == BatchResult([], [], 0) and BatchResult().ok
    assert repr(SmtpSettings("h", 587, "starttls", "XOAUTH2")) == \
        "SmtpSettings(host='h', port=587, security='starttls', mechanism='XOAUTH2')"


def test_token_objects_hide_their_tokens() -> None:
    when = datetime(2030, 1, 1, tzinfo=timezone.utc)
    tok = AccessToken("ya29.secret-token", when, "a@x", False)
    assert "secret-token" not in repr(tok) and tok.warnings == [] and tok == AccessToken("ya29.secret-token", when,
                                                                                         "a@x", False)
    resp = TokenResponse("ya29.secret-token", when, "1//0-rotated")
    assert "secret-token" not in repr(resp) and "rotated" not in repr(resp) and resp.scopes == [] and resp.url == ""
    t = Transcript()
    t.add_secret("ya29.secret-token")
    assert "secret-token" not in repr(t) and t.start > 0 and Transcript(start=1.0).start == 1.0


def test_provider_values_are_frozen_and_hashable() -> None:
    s = providers.SmtpServer("smtp.gmail.com", 587, "starttls")
    assert s == providers.GMAIL_SMTP and hash(s) == hash(providers.GMAIL_SMTP) and {s: 1}[providers.GMAIL_SMTP] == 1
    assert repr(s) == "SmtpServer(host='smtp.gmail.com', port=587, security='starttls')"
    with pytest.raises(AttributeError):
        s.port = 465  # type: ignore[misc]
    d = providers.google_defaults()
    assert d.extra == {} and d.sasl_mechanism == "XOAUTH2" and d.to_dict()["smtp"]["port"] == 587
    assert pickle.loads(pickle.dumps(providers.MICROSOFT_CLOUDS["usgov"])) == providers.MICROSOFT_CLOUDS["usgov"]


def test_lock_is_a_context_manager_that_releases(tmp_path: Path) -> None:
    import fcntl

    ini = tmp_path / "t.ini"
    with tokenfile.locked(ini):
        fd = os.open(tmp_path / "t.ini.lock", os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
    with pytest.raises(RuntimeError), tokenfile.locked(ini):
        raise RuntimeError("released on error too")
    fd = os.open(tmp_path / "t.ini.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(fd)


# --- argparse without shutil -------------------------------------------------------------------------


@pytest.mark.parametrize("columns", [None, "120", "0", "-3", "wide", "40"])
def test_terminal_columns_as_shutil_measures(monkeypatch: pytest.MonkeyPatch, columns: str | None) -> None:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert terminal_columns() == shutil.get_terminal_size().columns


@pytest.mark.parametrize("columns", ["50", "200"])
def test_help_text_is_what_argparse_formatter_gives(monkeypatch: pytest.MonkeyPatch, columns: str) -> None:
    import argparse

    from oauthmail.cli import build_parser

    monkeypatch.setenv("COLUMNS", columns)
    parser = build_parser("send")
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices["send"]
    ours = sub.format_help()
    sub.formatter_class = argparse.HelpFormatter
    assert ours == sub.format_help()
    assert "--subject SUBJECT" in ours


# --- reading the INI without pathlib ---------------------------------------------------------------------


@given(st.text(alphabet=st.sampled_from("ab/.~ \u00e9"), max_size=10))
def test_plain_path_only_when_pathlib_would_not_change_it(text: str) -> None:
    plain = tokenfile._plain_path(text)
    if plain is not None:
        assert plain == text == str(Path(text).expanduser())


@given(st.text(max_size=30))
def test_has_control_fast_path_agrees(value: str) -> None:
    slow = any(ord(c) < 32 or 127 <= ord(c) < 160 or c in "\u2028\u2029" for c in value)
    assert tokenfile.has_control(value) == slow


@pytest.mark.parametrize("name", ["t.ini", "./t.ini", "sub//t.ini", "sub/./t.ini", "t.ini/", "missing.ini", ""])
def test_read_names_the_file_as_pathlib_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    text = "[oauthmail]\nversion = 1\n\n[a@example.com]\nprovider = google\nclient_id = c\nrefresh_token = r\n"
    for where in (tmp_path / "t.ini", tmp_path / "sub" / "t.ini"):
        where.write_text(text)
        where.chmod(0o644)  # world-readable: the warning names the path
    try:
        tf = tokenfile.read(name)
    except ConfigError as exc:
        shown = str(Path(name).expanduser())
        assert exc.params["path"] == shown
        with pytest.raises(ConfigError) as again:
            tokenfile.read(Path(name))
        assert again.value.what() == exc.what() and again.value.code == exc.code
        return
    ref = tokenfile.read(Path(name))
    assert tf == ref and tf.warnings == ref.warnings and isinstance(tf.path, Path)
    assert str(Path(name)) in tf.warnings[0]
    with pytest.raises(ConfigError) as missing:
        tf.account("nobody@example.com")
    assert missing.value.params["path"] == str(Path(name))


def test_read_strips_a_bom_and_counts_bad_utf8_lines_as_before(tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    ini.write_bytes(b"\xef\xbb\xbf[oauthmail]\nversion = 1\n")
    assert tokenfile.read(str(ini)).meta == {"version": "1"}
    ini.write_bytes(b"\xef\xbb\xbf[oauthmail]\nversion = 1\n\xff\n")
    with pytest.raises(ConfigError) as exc:
        tokenfile.read(str(ini))
    data = ini.read_bytes()
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as ref:
        assert exc.value.params["line"] == data[: ref.start].count(b"\n") + 1


def test_tokenfile_path_name_still_there() -> None:
    assert getattr(tokenfile, "Path") is Path  # noqa: B009 - the lazy module attribute
    assert tokenfile.TokenFile("x.ini").path == Path("x.ini")


def test_update_account_refuses_names_that_are_not_fields(tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    tokenfile.save_account(ini, _account())
    for bad in ("replace", "to_dict", "secrets", "nonsense"):
        with pytest.raises(TypeError):
            tokenfile.update_account(ini, "a@example.com", **{bad: "x"})
    assert tokenfile.update_account(ini, "a@example.com", smtp_port=2525).smtp_port == 2525
    assert tokenfile.read(ini).account().smtp_port == 2525


def test_argparse_skips_gettext_only_without_a_catalogue(tmp_path: Path) -> None:
    """The command's words stay argparse's own; with an ``argparse.mo`` for the language, gettext is kept."""
    code = ("import sys; from oauthmail.cli import _argparse_without_catalog; import argparse, gettext; "
            "_argparse_without_catalog(); print(argparse._ is gettext.gettext, argparse._('usage: '), "
            "argparse.ngettext('a', 'b', 2))")
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**env, "LANG": "ja_JP.UTF-8"},
                       timeout=60)
    assert p.stdout.split() == ["False", "usage:", "b"], p.stderr
    fake = tmp_path / "share" / "locale" / "ja" / "LC_MESSAGES"
    fake.mkdir(parents=True)
    (fake / "argparse.mo").write_bytes(b"")
    probe = ("import sys; sys.base_prefix = sys.argv[1]; import argparse; " + code)
    p = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True,
                       env={**env, "LANG": "ja_JP.UTF-8"}, timeout=60)
    assert p.stdout.split()[0] == "True", p.stdout + p.stderr
    p = subprocess.run([sys.executable, "-m", "oauthmail", "send", "--help"], capture_output=True, text=True,
                       env={**env, "LANG": "ja_JP.UTF-8"}, timeout=60)
    assert p.returncode == 0 and p.stdout.startswith("usage: oauthmail send")


def test_a_send_reads_its_ini_once(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11: the INI was read three times per send; the command's read now serves the token step too."""
    from oauthmail.cli import main

    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    reads: list[str] = []
    real = tokenfile.read

    def counting(path: Any) -> tokenfile.TokenFile:
        reads.append(str(path))
        return real(path)

    monkeypatch.setattr(tokenfile, "read", counting)
    assert main(["send", "--ini", str(ini), "--to", "bob@example.com", "--subject", "s", "--body", "b"]) == 0
    assert reads == [str(ini)]
    reads.clear()
    from oauthmail import send

    send(ini, to="bob@example.com", subject="s2", body="b")
    assert reads == [str(ini)]
    assert [m["Subject"] for m in sandbox.mailbox.messages()] == ["s", "s2"]


def test_a_token_file_already_read_is_refreshed_from_its_path(sandbox: Any, tmp_path: Path) -> None:
    """A TokenFile handed in with an expired token: the refresh re-reads the file under its lock, keeps a
    valid token found there (no token request), else refreshes and stores it in that file."""
    from oauthmail import send_message
    from oauthmail.message import build_message

    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    tf = tokenfile.read(ini)
    acc = tf.account()
    past = datetime(2020, 1, 1, tzinfo=timezone.utc)
    msg = build_message(sender=acc.email, to="bob@example.com", subject="s", body="b")
    tf.accounts[acc.email] = acc.replace(access_token_expires_at=past)  # stale object, valid file
    assert not send_message(tf, msg).token_refreshed
    assert tokenfile.read(ini).account().access_token == acc.access_token

    tokenfile.update_account(ini, acc.email, access_token_expires_at=past)  # expired in the file too
    result = send_message(tokenfile.read(ini), msg)
    assert result.token_refreshed
    stored = tokenfile.read(ini).account()
    assert stored.access_token != acc.access_token and stored.access_token_expires_at is not None
    assert stored.access_token_expires_at > datetime.now(timezone.utc)
    assert len(sandbox.mailbox.messages()) == 2
