"""The public API at the package root: lazy, listed, documented, stable (issue 17).

The snapshot ``tests/api/surface.txt`` holds one line per public name (and per method, and per field of a
result class); a name removed or a signature changed fails here until CHANGELOG.md says so under
"Unreleased" and the snapshot is regenerated (``python tests/api_surface.py --update``, which refuses
while the changelog does not name the change). A line only added (a new name, a new field) is not a change.
"""

from __future__ import annotations

import inspect
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from api_surface import CHANGELOG, changed_names, mentioned, read_snapshot, subject, surface, unreleased

import oauthmail

ROOT = Path(__file__).resolve().parent.parent


def test_the_surface_is_the_snapshot() -> None:
    old, new = read_snapshot(), surface()
    changed = changed_names(old, new)
    if changed:
        section = unreleased()
        untold = [n for n in changed if not mentioned(n, section)]
        advice = ("Say so in CHANGELOG.md under '## [Unreleased]' (naming " + ", ".join(f"`{n}`" for n in untold)
                  + "), then" if untold else "CHANGELOG.md names them; now")
        pytest.fail(f"The public API changed: {', '.join(changed)}.\n{advice} update the snapshot with "
                    "`.venv/bin/python tests/api_surface.py --update` and commit both.\n"
                    + "\n".join(f"- {line}" for line in sorted(set(old) - set(new)))
                    + "\n" + "\n".join(f"+ {line}" for line in sorted(set(new) - set(old))))


def test_a_changed_signature_is_caught_and_named() -> None:
    old = read_snapshot()
    line = next(x for x in old if x.startswith("oauthmail.send("))
    new = [x for x in old if x != line] + [line.replace("subject: 'str'", "title: 'str'")]
    assert changed_names(old, new) == ["oauthmail.send"]
    assert changed_names(old, [x for x in old if not x.startswith("oauthmail.Mailer.send_many")]) == [
        "oauthmail.Mailer.send_many"]
    assert changed_names(old, [*old, "oauthmail.SendResult.new_field  [field]", "oauthmail.new_call()"]) == []
    assert subject("class oauthmail.Mailer(ini: 'str | Path') -> 'None'") == "oauthmail.Mailer"
    assert subject("oauthmail.BatchResult.ok  [property]") == "oauthmail.BatchResult.ok"
    assert mentioned("oauthmail.send", "- `oauthmail.send(..., title=)` replaces subject=")
    assert mentioned("oauthmail.Mailer.send_many", "- `Mailer.send_many` takes dicts")
    assert not mentioned("oauthmail.send", "- `oauthmail.send_message` gains a parameter")


def test_changelog_keeps_a_changelog() -> None:
    text = CHANGELOG.read_text(encoding="utf-8")
    assert text.startswith("# Changelog") and "## [Unreleased]" in text
    assert "keepachangelog.com" in text
    assert f"## [{oauthmail.__version__}]" in text


def test_every_public_name_resolves_and_is_listed_by_dir() -> None:
    assert sorted(oauthmail.__all__) == oauthmail.__all__ and len(set(oauthmail.__all__)) == len(oauthmail.__all__)
    for name in oauthmail.__all__:
        value = getattr(oauthmail, name)
        assert value is not None, name
        if name != "__version__":
            assert inspect.getdoc(value), f"oauthmail.{name} has no docstring"
    assert set(oauthmail.__all__) <= set(dir(oauthmail))
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        oauthmail.nonsense  # noqa: B018


def test_import_oauthmail_loads_nothing_more() -> None:
    code = ("import sys; import oauthmail; print(sorted(m for m in sys.modules if m.startswith('oauthmail')));"
            "print('typing' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    allowed = {"oauthmail", "oauthmail._plain", "oauthmail._version", "oauthmail.errors", "oauthmail.i18n"}
    assert set(eval(out[0])) <= allowed  # what `import oauthmail` loaded before the public names existed
    assert out[1] == "False"


def test_a_name_loads_only_its_module() -> None:
    code = ("import sys, oauthmail; oauthmail.send; oauthmail.Mailer; print(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('msal', 'google_auth_oauthlib', 'aiosmtpd', 'ipywidgets', 'requests')"
            " or m in ('oauthmail.consent', 'oauthmail.sandbox', 'oauthmail.explain', 'oauthmail.transports')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_doctor_and_explain_are_callable_modules() -> None:
    from oauthmail.doctor import Doctor, run_doctor  # importing the module first must not hide the call
    from oauthmail.explain import explain as find_entry

    assert oauthmail.doctor.Doctor is Doctor and inspect.ismodule(oauthmail.doctor)
    assert inspect.signature(oauthmail.doctor) == inspect.signature(run_doctor)
    text = "535-5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant."
    explained = oauthmail.explain(text, "en")
    entry = find_entry(text)
    assert entry is not None and explained["recognised"] and explained["id"] == entry.id
    assert explained["fix"] == entry.fix.format("en")
    assert oauthmail.explain("something else entirely")["recognised"] is False
    from oauthmail import explain

    assert explain("535 5.7.139 Authentication unsuccessful")["code"] and explain.find(entry.id) is entry
    assert callable(oauthmail.consent.google) and inspect.ismodule(oauthmail.consent.google)
    assert oauthmail.consent.google.start_google is oauthmail.consent.start_google


def test_sent_reads_by_position_and_by_name() -> None:
    sent = oauthmail.Sent("<m@x>", {"c@x": (550, "550 no")})
    mid, refused = sent
    assert (mid, refused) == (sent.message_id, sent.refused) == ("<m@x>", {"c@x": (550, "550 no")})
    assert pickle.loads(pickle.dumps(sent)) == sent and repr(sent).startswith("Sent(message_id='<m@x>'")


def test_the_docs_name_every_public_call() -> None:
    for doc in ("docs/api.md", "docs/api.ja.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        for name in oauthmail.__all__:
            if name.endswith("Error") or name == "__version__":
                continue
            assert f"oauthmail.{name}" in text, f"{doc} does not show oauthmail.{name}"
        for name in ("consent.google", "consent.microsoft", "consent.start_google", "consent.finish",
                     "sandbox.start", "testing"):
            assert f"oauthmail.{name}" in text, f"{doc} does not show oauthmail.{name}"
