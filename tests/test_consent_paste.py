"""Whatever a person pastes gives the code (or the provider's error), or a clean ConsentError (P10)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oauthmail.consent import parse_redirect
from oauthmail.errors import ConsentError

CODE = "4/0AX4XfWh-abc_DEF.123"


@pytest.mark.parametrize(
    "pasted",
    [
        f"http://127.0.0.1:48888/callback?code={CODE}&state=xyz&scope=https://mail.google.com/",
        f"  http://localhost:48888/callback?state=xyz&code={CODE}  \n",
        f"'http://127.0.0.1:48888/callback?code={CODE}&state=xyz'",
        f"「http://127.0.0.1:48888/callback?code={CODE}&state=xyz」",
        f"127.0.0.1:48888/callback?code={CODE}&state=xyz",
        f"/callback?code={CODE}&state=xyz",
        f"?code={CODE}&state=xyz",
        f"code={CODE}&state=xyz",
        f"some text\nhttp://127.0.0.1:48888/callback?code={CODE}&state=xyz\nmore",
    ],
)
def test_addresses(pasted: str) -> None:
    params = parse_redirect(pasted)
    assert params["code"] == CODE
    assert params["state"] == "xyz"


def test_bare_code_and_dict() -> None:
    assert parse_redirect(CODE) == {"code": CODE}
    assert parse_redirect({"code": [CODE], "state": ["s"]}) == {"code": CODE, "state": "s"}


def test_percent_encoded_code() -> None:
    assert parse_redirect("http://127.0.0.1:1/cb?code=4%2F0AX&state=s")["code"] == "4/0AX"


def test_error_answer_is_returned() -> None:
    params = parse_redirect("http://127.0.0.1:48888/callback?error=access_denied&state=s")
    assert params["error"] == "access_denied"


@pytest.mark.parametrize(
    ("pasted", "code"),
    [
        ("", "paste_empty"),
        ("   ", "paste_empty"),
        ("http://127.0.0.1:48888/callback", "paste_no_code"),
        ("http://127.0.0.1:48888/callback?state=xyz", "paste_no_code"),
        ("This site can't be reached", "paste_no_code"),
        ("https://accounts.google.com/o/oauth2/auth?client_id=1", "paste_no_code"),
        ("short", "paste_no_code"),
    ],
)
def test_not_an_answer(pasted: str, code: str) -> None:
    with pytest.raises(ConsentError) as info:
        parse_redirect(pasted, example="http://127.0.0.1:48888/callback")
    assert info.value.code == code
    assert "http://127.0.0.1:48888/callback?" in info.value.hint("en")
    assert "code=" in info.value.hint("ja")


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="ascii")),
    st.builds(lambda q: "http://127.0.0.1:48888/callback?" + q, st.text()),
    st.builds(lambda k, v: f"{k}={v}", st.sampled_from(["code", "state", "error", "x"]), st.text()),
))
def test_anything_pasted_gives_code_or_clean_error(pasted: str) -> None:
    try:
        params = parse_redirect(pasted)
    except ConsentError as exc:
        assert exc.code in ("paste_empty", "paste_no_code")
        assert exc.what("en") and exc.hint("ja")
        return
    assert params.get("error") or (params.get("code") and not any(c.isspace() for c in params["code"]))
