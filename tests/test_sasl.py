"""SASL strings (XOAUTH2, OAUTHBEARER) and the challenge-answering auth object."""

from __future__ import annotations

import base64
import json

import pytest

from oauthmail import ConfigError
from oauthmail.sasl import SaslAuthObject, decode_challenge, oauthbearer_string, xoauth2_string


def test_xoauth2_string_matches_google_documented_form() -> None:
    s = xoauth2_string("someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg")
    # The example from Google's XOAUTH2 protocol page.
    assert s == ("dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==")


def test_oauthbearer_string_rfc7628_shape() -> None:
    raw = base64.b64decode(oauthbearer_string("user@example.com", "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
                                              "server.example.com", 587)).decode()
    assert raw == ("n,a=user@example.com,\x01host=server.example.com\x01port=587\x01"
                   "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01")


@pytest.mark.parametrize("user", ["", "a b@example.com", "a\r\n@example.com", "山田@example.com", "a,b@example.com"])
def test_bad_user_is_a_config_error(user: str) -> None:
    with pytest.raises(ConfigError) as info:
        xoauth2_string(user, "tok")
    assert "XOAUTH2" in info.value.what()
    assert "tok" not in str(info.value)


@pytest.mark.parametrize("token", ["", "a b", "a\x01b", "トークン"])
def test_bad_token_is_a_config_error_without_the_token(token: str) -> None:
    with pytest.raises(ConfigError) as info:
        xoauth2_string("a@example.com", token)
    assert info.value.code == "sasl_bad_token"
    if token.strip():
        assert token not in str(info.value) + info.value.hint()


def test_auth_object_initial_then_error_challenge_xoauth2() -> None:
    obj = SaslAuthObject("XOAUTH2", "a@example.com", "tok123")
    assert obj() == "user=a@example.com\x01auth=Bearer tok123\x01\x01"
    challenge = json.dumps({"status": "400", "schemes": "Bearer", "scope": "https://mail.google.com/"}).encode()
    assert obj(challenge) == ""
    assert obj.error_json == {"status": "400", "schemes": "Bearer", "scope": "https://mail.google.com/"}
    assert "tok123" not in repr(obj)


def test_auth_object_oauthbearer_answers_0x01() -> None:
    obj = SaslAuthObject("OAUTHBEARER", "a@example.com", "tok123", "h", 25)
    obj()
    assert obj(b'{"status":"invalid_token"}') == "\x01"
    assert obj.error_json == {"status": "invalid_token"}


def test_auth_object_without_initial_response_answers_the_empty_prompt() -> None:
    obj = SaslAuthObject("XOAUTH2", "a@example.com", "tok123")
    assert obj(b"") == "user=a@example.com\x01auth=Bearer tok123\x01\x01"
    assert obj(b"{}") == ""


def test_decode_challenge_accepts_base64_or_raw() -> None:
    j = '{"status":"400"}'
    assert decode_challenge(j.encode()) == j
    assert decode_challenge(base64.b64encode(j.encode()).decode()) == j
    assert decode_challenge(b"\xff\xfe") == "\ufffd\ufffd"
