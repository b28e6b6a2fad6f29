"""Reading Google client JSON files and Azure values: every wrong file says what to do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oauthmail.clients import (
    ClientConfig,
    google_client_from_values,
    is_guid,
    load_google_client,
    microsoft_client,
    tenant_from_authority,
)
from oauthmail.errors import ConfigError

SECRET = "GOCSPX-abcdefghijklmnopqrstuvwx"


def _write(tmp_path: Path, data: object, name: str = "client_secret_1.json") -> Path:
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return p


def _section(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "client_id": "123-abc.apps.googleusercontent.com",
        "project_id": "demo",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "client_secret": SECRET,
        "redirect_uris": ["http://127.0.0.1:48888/callback"],
    }
    base.update(over)
    return base


def test_web_client(tmp_path: Path) -> None:
    cfg = load_google_client(_write(tmp_path, {"web": _section()}))
    assert cfg.client_type == "web" and cfg.provider == "google"
    assert cfg.redirect_uris == ["http://127.0.0.1:48888/callback"]
    assert SECRET not in repr(cfg)
    assert cfg.google_config()["web"]["client_secret"] == SECRET
    assert ClientConfig.from_dict(cfg.to_dict()) .client_secret == SECRET


def test_installed_client_with_old_oob_warns(tmp_path: Path) -> None:
    data = {"installed": _section(redirect_uris=["urn:ietf:wg:oauth:2.0:oob", "http://localhost"])}
    cfg = load_google_client(_write(tmp_path, data))
    assert cfg.client_type == "installed"
    assert cfg.redirect_uris == ["http://localhost"]
    assert any("urn:ietf:wg:oauth:2.0:oob" in w and "loopback" in w for w in cfg.warnings)


def test_dict_source_and_bom(tmp_path: Path) -> None:
    assert load_google_client({"web": _section()}).client_type == "web"
    p = tmp_path / "bom.json"
    p.write_bytes(b"\xef\xbb\xbf" + json.dumps({"installed": _section()}).encode())
    assert load_google_client(p).client_type == "installed"


@pytest.mark.parametrize(
    ("content", "code", "words"),
    [
        ("not json at all {", "client_not_json", "not a JSON file"),
        ('{"web": ', "client_not_json", "line 1"),
        (json.dumps({"type": "service_account", "private_key": "-----BEGIN"}), "client_service_account",
         "service-account"),
        ("AIzaSyA-1234567890abcdefghijklmnopqrs", "client_api_key", "API key"),
        (json.dumps({"apiKey": "AIzaSyA-1234567890abcdefghijklmnopqrs"}), "client_api_key", "API key"),
        (json.dumps({"something": 1}), "client_not_oauth", "not a Google OAuth client"),
        (json.dumps([1, 2]), "client_not_oauth", "not a Google OAuth client"),
        (json.dumps({"web": _section(client_secret="")}), "client_secret_missing", "no client secret"),
        (json.dumps({"installed": {k: v for k, v in _section().items() if k != "client_secret"}}),
         "client_secret_missing", "no client secret"),
        (json.dumps({"web": _section(client_id="")}), "client_field_missing", "client_id"),
        (json.dumps({"web": _section(token_uri="ftp://x")}), "bad_uri", "token_uri"),
    ],
)
def test_wrong_files(tmp_path: Path, content: str, code: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_google_client(_write(tmp_path, content))
    assert info.value.code == code
    assert words in info.value.what("en")
    assert info.value.hint("en") and info.value.hint("ja")
    assert SECRET not in info.value.what("en") + info.value.hint("en")


def test_missing_secret_hint_is_p17(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_google_client(_write(tmp_path, {"web": _section(client_secret=None)}))
    assert "only shows a client secret when it is created" in info.value.hint("en")


def test_missing_and_binary_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_google_client(tmp_path / "nope.json")
    assert info.value.code == "client_file_not_found"
    p = tmp_path / "bin.json"
    p.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError) as info:
        load_google_client(p)
    assert info.value.code == "client_not_json"


def test_google_from_values() -> None:
    cfg = google_client_from_values(" 123.apps.googleusercontent.com ", SECRET, client_type="installed")
    assert cfg.client_id == "123.apps.googleusercontent.com" and cfg.client_type == "installed"
    with pytest.raises(ConfigError) as info:
        google_client_from_values("123", "", client_type="web")
    assert info.value.code == "client_secret_missing"
    with pytest.raises(ConfigError) as info:
        google_client_from_values("123", SECRET, client_type="tv")
    assert info.value.code == "client_type"
    with pytest.raises(ConfigError) as info:
        google_client_from_values("12 3", SECRET)
    assert info.value.code == "control_chars"
    with pytest.raises(ConfigError) as info:
        google_client_from_values("", SECRET)
    assert info.value.code == "empty_value"


GUID = "11111111-2222-3333-4444-555555555555"


def test_microsoft_confidential_and_public() -> None:
    cfg = microsoft_client(GUID.upper(), "abc~DEF.secret-value-1234567890", tenant="contoso.onmicrosoft.com")
    assert cfg.client_type == "confidential" and cfg.client_id == GUID
    assert cfg.authority == "https://login.microsoftonline.com/contoso.onmicrosoft.com"
    assert "secret-value" not in repr(cfg)
    pub = microsoft_client(GUID)
    assert pub.client_type == "public" and pub.is_public and pub.tenant == "common"


def test_microsoft_secret_id_warning() -> None:
    cfg = microsoft_client(GUID, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
    assert cfg.warnings and "Secret ID" in cfg.warnings[0]


def test_microsoft_authority() -> None:
    cfg = microsoft_client(GUID, authority="https://login.microsoftonline.us/contoso.us/")
    assert cfg.tenant == "contoso.us" and cfg.authority == "https://login.microsoftonline.us/contoso.us"
    assert tenant_from_authority("https://127.0.0.1:8443/tid/") == "tid"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"client_id": "my-app"}, "client_id_not_guid"),
        ({"client_id": "1111-2222"}, "client_id_not_guid"),
        ({"client_id": ""}, "empty_value"),
        ({"client_id": GUID, "tenant": "bad tenant!"}, "control_chars"),
        ({"client_id": GUID, "tenant": "bad/tenant"}, "bad_tenant"),
        ({"client_id": GUID, "authority": "http://login.example.com/x"}, "bad_authority"),
        ({"client_id": GUID, "authority": "https://login.microsoftonline.com"}, "bad_authority"),
    ],
)
def test_microsoft_bad_values(kwargs: dict[str, str], code: str) -> None:
    cid = kwargs.pop("client_id")
    try:
        microsoft_client(cid, None, **kwargs)
    except ConfigError as exc:
        assert exc.code in (code, "bad_tenant", "control_chars")
        assert exc.hint("ja")
    else:
        pytest.fail("no error")


def test_is_guid() -> None:
    assert is_guid(GUID) and not is_guid(GUID + "0") and not is_guid("x")
