"""Property tests for the token INI parser: any text gives a TokenFile or a clean ConfigError."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from oauthmail import ConfigError
from oauthmail import tokenfile as tf

line = st.one_of(
    st.text(max_size=40),
    st.builds(lambda k, v: f"{k} = {v}", st.sampled_from([*tf.KNOWN_KEYS, "x_extra", "version"]),
              st.text(max_size=30)),
    st.builds(lambda n: f"[{n}]", st.one_of(st.just("oauthmail"), st.emails(), st.text(max_size=20))),
)


@settings(max_examples=400, deadline=None)
@given(lines=st.lists(line, max_size=25))
def test_parser_never_crashes(lines: list[str]) -> None:
    text = "\n".join(lines)
    try:
        f = tf.parse(text, "p.ini")
    except ConfigError as exc:
        assert "p.ini" in exc.what()
        return
    # a parsed file renders to text that parses to the same accounts
    again = tf.parse(f.render(), "p.ini")
    assert list(again.accounts) == list(f.accounts)
    for name, acc in f.accounts.items():
        assert again.accounts[name].to_items() == acc.to_items()


@settings(max_examples=200, deadline=None)
@given(rt=st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x2FFF),
                  min_size=1, max_size=60))
def test_refresh_token_values_roundtrip(rt: str) -> None:
    acc = tf.Account(email="a@example.com", provider="google", client_id="cid", refresh_token=rt)
    f = tf.TokenFile(tf.Path("x.ini"))
    f.set_account(acc)
    try:
        text = f.render()
    except ConfigError as exc:  # refused on write: never written half-readable
        assert exc.code == "ini_value"
        return
    back = tf.parse(text, "x.ini").account()
    assert back.refresh_token == rt
