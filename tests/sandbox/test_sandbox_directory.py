"""The sandbox's Graph directory endpoints: Graph v1.0's shapes and status codes, and the apps going live."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

import pytest

from oauthmail.registration import microsoft_bodies as bodies

DAVE = "dave@contoso.example"
ERIN = "erin@contoso.example"
CLI = bodies.AZURE_CLI


def _token(sb: Any, user: str, scopes: list[str] | None = None, client: str = CLI) -> str:
    return str(sb.mint_tokens("microsoft", client, user, scopes or ["https://graph.microsoft.com/.default"])
               ["access_token"])


def call(sb: Any, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(sb.graph_url + "/v1.0" + path, method=method, headers=headers,
                                 data=json.dumps(body).encode() if body is not None else None)
    ctx = ssl.create_default_context(cafile=str(sb.ca_file))
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=20) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw else None


def _app(sb: Any, token: str, **over: Any) -> dict[str, Any]:
    body = bodies.application_body("test app")
    body.update(over)
    status, app = call(sb, "POST", "/applications", body, token)
    assert status == 201, app
    return dict(app)


def _token_endpoint(sb: Any, form: dict[str, str], tenant: str | None = None) -> dict[str, Any]:
    url = f"{sb.base_url}/{tenant or sb.microsoft_tenant_id}/oauth2/v2.0/token"
    req = urllib.request.Request(url, data=urlencode(form).encode(), method="POST")
    ctx = ssl.create_default_context(cafile=str(sb.ca_file))
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=20) as resp:
            return dict(json.loads(resp.read()))
    except urllib.error.HTTPError as exc:
        return dict(json.loads(exc.read()))


def test_application_lifecycle_shapes(sandbox: Any) -> None:
    t = _token(sandbox, DAVE)
    app = _app(sandbox, t)
    assert app["@odata.context"].endswith("#applications/$entity")
    assert app["id"] != app["appId"] and app["passwordCredentials"] == []
    assert app["publicClient"]["redirectUris"] == list(bodies.PUBLIC_REDIRECTS) and app["isFallbackPublicClient"]
    assert app["signInAudience"] == "AzureADMyOrg" and app["publisherDomain"] == "contoso.example"
    status, cred = call(sandbox, "POST", f"/applications/{app['id']}/addPassword", bodies.password_body(10), t)
    assert status == 200 and len(cred["secretText"]) == 40 and cred["hint"] == cred["secretText"][:3]
    status, again = call(sandbox, "GET", f"/applications/{app['id']}", token=t)
    assert status == 200 and again["passwordCredentials"][0]["secretText"] is None
    assert again["passwordCredentials"][0]["keyId"] == cred["keyId"]
    status, listed = call(sandbox, "GET", "/applications?" + bodies.filter_query("appId", app["appId"])[1:], token=t)
    assert status == 200 and [a["id"] for a in listed["value"]] == [app["id"]]
    status, by_app_id = call(sandbox, "GET", f"/applications(appId='{app['appId']}')", token=t)
    assert status == 200 and by_app_id["id"] == app["id"]
    status, sp = call(sandbox, "POST", "/servicePrincipals", {"appId": app["appId"]}, t)
    assert status == 201 and sp["appId"] == app["appId"] and sp["servicePrincipalType"] == "Application"
    status, dup = call(sandbox, "POST", "/servicePrincipals", {"appId": app["appId"]}, t)
    assert status == 409 and dup["error"]["code"] == "Request_MultipleObjectsWithSameKeyValue"
    status, graph = call(sandbox, "GET", "/servicePrincipals" + bodies.filter_query("appId", bodies.GRAPH_RESOURCE_APP_ID),
                         token=t)
    scopes = {s["value"]: s["id"] for s in graph["value"][0]["oauth2PermissionScopes"]}
    assert {k: scopes[k] for k in bodies.PERMISSION_IDS} == bodies.PERMISSION_IDS
    grant = bodies.grant_body(sp["id"], graph["value"][0]["id"], "smtp")
    status, made = call(sandbox, "POST", "/oauth2PermissionGrants", grant, t)
    assert status == 201 and made["consentType"] == "AllPrincipals" and made["principalId"] is None
    status, dup = call(sandbox, "POST", "/oauth2PermissionGrants", grant, t)
    assert status == 409
    status, _ = call(sandbox, "POST", f"/applications/{app['id']}/removePassword", {"keyId": cred["keyId"]}, t)
    assert status == 204
    status, gone = call(sandbox, "DELETE", f"/applications/{app['id']}", token=t)
    assert status == 204 and gone is None
    status, missing = call(sandbox, "GET", f"/applications/{app['id']}", token=t)
    assert status == 404 and missing["error"]["code"] == "Request_ResourceNotFound"
    status, _ = call(sandbox, "GET", f"/servicePrincipals/{sp['id']}", token=t)
    assert status == 404  # deleting the app removed its service principal


def test_refusals(sandbox: Any) -> None:
    t_member = _token(sandbox, ERIN)
    status, body = call(sandbox, "POST", "/applications", bodies.application_body("x"))
    assert status == 401 and body["error"]["code"] == "InvalidAuthenticationToken"
    mail_only = _token(sandbox, DAVE, ["https://graph.microsoft.com/Mail.Send"], client=sandbox.microsoft_public_client_id)
    status, body = call(sandbox, "POST", "/applications", bodies.application_body("x"), mail_only)
    assert status == 403 and body["error"] == {**body["error"], "code": "Authorization_RequestDenied",
                                               "message": "Insufficient privileges to complete the operation."}
    status, body = call(sandbox, "POST", "/applications", {"displayName": "x", "signInAudience": "Everyone"}, t_member)
    assert status == 400 and body["error"]["code"] == "Request_BadRequest"
    status, body = call(sandbox, "POST", "/applications", {"displayName": "x", "colour": "red"}, t_member)
    assert status == 400 and "colour" in body["error"]["message"]
    status, body = call(sandbox, "POST", "/applications",
                        {"displayName": "x", "signInAudience": "AzureADandPersonalMicrosoftAccount"}, t_member)
    assert status == 400 and "requestedAccessTokenVersion" in body["error"]["message"]
    status, body = call(sandbox, "POST", "/applications", {"displayName": "x", "web": {"redirectUris":
                                                                                        ["http://example.com/cb"]}},
                        t_member)
    assert status == 400
    app = _app(sandbox, _token(sandbox, DAVE))
    sp_status, sp = call(sandbox, "POST", "/servicePrincipals", {"appId": app["appId"]}, _token(sandbox, DAVE))
    assert sp_status == 201
    status, body = call(sandbox, "DELETE", f"/applications/{app['id']}", token=t_member)
    assert status == 403  # not the owner, not an admin
    _s, graph = call(sandbox, "GET", "/servicePrincipals" + bodies.filter_query("appId", bodies.GRAPH_RESOURCE_APP_ID),
                     token=t_member)
    status, body = call(sandbox, "POST", "/oauth2PermissionGrants",
                        bodies.grant_body(sp["id"], graph["value"][0]["id"], "smtp"), t_member)
    assert status == 403 and body["error"]["code"] == "Authorization_RequestDenied"
    sandbox.set_directory(users_can_register_apps=False)
    status, body = call(sandbox, "POST", "/applications", bodies.application_body("x"), t_member)
    assert status == 403 and body["error"]["code"] == "Authorization_RequestDenied"
    _s, policy = call(sandbox, "GET", "/policies/authorizationPolicy", token=t_member)
    assert policy["defaultUserRolePermissions"]["allowedToCreateApps"] is False
    sandbox.set_roles(ERIN, ["Application Developer"])
    status, _ = call(sandbox, "POST", "/applications", bodies.application_body("x"), t_member)
    assert status == 201


@pytest.fixture
def sandbox_config() -> dict[str, Any]:
    return {"users": [{"email": DAVE, "provider": "microsoft", "roles": ["Global Administrator"]},
                      {"email": ERIN, "provider": "microsoft"},
                      {"email": "frank@outlook.example", "provider": "microsoft", "personal": True},
                      {"email": "alice@example.com", "provider": "google"}]}


def test_personal_account_has_no_directory(sandbox: Any) -> None:
    status, body = call(sandbox, "POST", "/applications", bodies.application_body("x"),
                        _token(sandbox, "frank@outlook.example"))
    assert status == 400 and "MsaDeprecateInfo" in body["error"]["message"]


def test_new_app_is_a_live_client_after_the_delay(sandbox: Any) -> None:
    sandbox.set_directory(app_propagation_delay=30)
    app = _app(sandbox, _token(sandbox, DAVE))
    probe = {"client_id": app["appId"], "grant_type": "authorization_code", "code": "x",
             "redirect_uri": "http://localhost", "scope": "openid"}
    assert "AADSTS700016" in _token_endpoint(sandbox, probe)["error_description"]
    sandbox.clock.advance(31)
    answer = _token_endpoint(sandbox, probe)
    assert answer["error"] == "invalid_grant" and "AADSTS700016" not in answer["error_description"]
    # a single-tenant app at /common is refused the way Entra refuses it
    url = (f"{sandbox.base_url}/common/oauth2/v2.0/authorize?" + urlencode({
        "client_id": app["appId"], "response_type": "code", "redirect_uri": "http://localhost:5000",
        "scope": "https://outlook.office.com/SMTP.Send"}))
    from oauthmail.errors import ConsentError

    with pytest.raises(ConsentError) as err:
        sandbox.approve(url, DAVE, follow=False)
    assert "AADSTS50194" in str(err.value.params) or "AADSTS50194" in (err.value.details or "") + str(err.value)


def test_azure_cli_cannot_ask_for_named_graph_scopes(sandbox: Any) -> None:
    url = (f"{sandbox.microsoft_authority}/oauth2/v2.0/authorize?" + urlencode({
        "client_id": CLI, "response_type": "code", "redirect_uri": "http://localhost:5000",
        "scope": "https://graph.microsoft.com/Application.ReadWrite.All"}))
    from oauthmail.errors import ConsentError

    with pytest.raises(ConsentError) as err:
        sandbox.approve(url, DAVE, follow=False)
    assert "AADSTS65002" in str(err.value.params) + (err.value.details or "") + str(err.value)


def test_directory_survives_a_restart(tmp_path: Any) -> None:
    from oauthmail.sandbox import Sandbox

    with Sandbox(tmp_path / "state") as sb:
        app = _app(sb, _token(sb, DAVE))
    with Sandbox(tmp_path / "state") as sb:
        status, again = call(sb, "GET", f"/applications/{app['id']}", token=_token(sb, DAVE))
        assert status == 200 and again["appId"] == app["appId"]
        assert sb.config.microsoft_app(app["appId"]) is not None
