"""Microsoft Graph's directory calls the registration needs, over the kit's HTTPS client.

Each method is one documented Graph v1.0 call and returns its JSON; a refusal becomes a
:class:`RegistrationError` carrying Graph's ``error.code`` (``Authorization_RequestDenied``,
``Request_ResourceNotFound`` …) and HTTP status, with the bearer token never in any text.
Retries on 429/503 come from :class:`oauthmail.transports._http.ApiClient`.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import OAuthMailError
from ..i18n import Msg
from ..secrets import redact
from .microsoft_bodies import filter_query
from .microsoft_messages import GRAPH_REFUSED, GRAPH_REFUSED_HINT


class RegistrationError(OAuthMailError):
    """A registration step failed; ``graph_code``/``status`` say how Graph answered (if it did)."""

    kind = "registration"

    def __init__(self, what: Msg, hint: Msg | None = None, /, *, graph_code: str = "", status: int = 0,
                 **kwargs: Any) -> None:
        self.graph_code = graph_code
        self.status = status
        super().__init__(what, hint, status=status or "-", **kwargs)


class Graph:
    """The directory part of Microsoft Graph, as one signed-in person (a delegated token)."""

    def __init__(self, base_url: str, token: str, *, session: Any = None, timeout: float = 30) -> None:
        from ..transports._http import ApiClient

        base = base_url.rstrip("/")
        for version in ("/v1.0", "/beta"):  # the address as Graph prints it, with or without its version
            if base.endswith(version):
                base = base[: -len(version)]
        self.base = base + "/v1.0"
        self._token = token
        self.api = ApiClient("Microsoft Graph", timeout=timeout, session=session)
        self.api.secrets.append(token)

    def __repr__(self) -> str:  # never the token
        return f"Graph({self.base!r})"

    def close(self) -> None:
        self.api.close()

    def call(self, method: str, path: str, body: Any = None, *, step: str = "", app_id: str = "-") -> Any:
        """One request; 2xx → the JSON (or None), else :class:`RegistrationError`."""
        url = self.base + path
        resp = self.api.request(method, url, token=self._token, json_body=body,
                                headers={"Accept": "application/json"})
        if 200 <= resp.status_code < 300:
            text = resp.content.strip()
            return json.loads(text) if text else None
        code, message = "", ""
        try:
            data = resp.json()
            err = data.get("error") if isinstance(data, dict) else None
            if isinstance(err, dict):
                code, message = str(err.get("code") or ""), str(err.get("message") or "")
        except ValueError:
            message = resp.text[:300]
        message = redact(message, self.api.secrets)[:400]
        raise RegistrationError(GRAPH_REFUSED, GRAPH_REFUSED_HINT, graph_code=code, status=resp.status_code,
                                code=code or f"HTTP {resp.status_code}", err_code=code or "-", details=f"HTTP {resp.status_code} {code} "
                                f"{message}".strip(), step=step or f"{method} {path.split('?')[0]}",
                                message=message or "-", app_id=app_id)

    # -- who and where --------------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        return dict(self.call("GET", "/me", step="GET /me"))

    def organization(self) -> dict[str, Any]:
        value = self.call("GET", "/organization", step="GET /organization").get("value") or [{}]
        return dict(value[0])

    def directory_roles(self) -> list[dict[str, Any]]:
        """The signed-in person's directory roles (``/me/memberOf``, directoryRole objects only)."""
        value = self.call("GET", "/me/memberOf", step="GET /me/memberOf").get("value") or []
        return [v for v in value if str(v.get("@odata.type", "")).endswith("directoryRole")]

    def consent_policies(self) -> list[str] | None:
        """``authorizationPolicy``'s ``permissionGrantPoliciesAssigned`` (who may consent to what), or None
        when this account may not read it."""
        try:
            policy = self.call("GET", "/policies/authorizationPolicy", step="GET /policies/authorizationPolicy")
        except RegistrationError:
            return None
        perms = (policy or {}).get("defaultUserRolePermissions") or {}
        value = perms.get("permissionGrantPoliciesAssigned")
        return [str(v) for v in value] if isinstance(value, list) else None

    # -- applications ---------------------------------------------------------------------------

    def create_application(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.call("POST", "/applications", body, step="POST /applications"))

    def application_by_app_id(self, app_id: str) -> dict[str, Any] | None:
        value = self.call("GET", "/applications" + filter_query("appId", app_id), step="GET /applications",
                          app_id=app_id).get("value") or []
        return dict(value[0]) if value else None

    def add_password(self, object_id: str, body: dict[str, Any], app_id: str = "-") -> dict[str, Any]:
        return dict(self.call("POST", f"/applications/{object_id}/addPassword", body,
                              step="POST /applications/{id}/addPassword", app_id=app_id))

    def delete_application(self, object_id: str, app_id: str = "-") -> None:
        self.call("DELETE", f"/applications/{object_id}", step="DELETE /applications/{id}", app_id=app_id)

    # -- service principals and consent --------------------------------------------------------------

    def service_principal(self, app_id: str) -> dict[str, Any] | None:
        value = self.call("GET", "/servicePrincipals" + filter_query("appId", app_id),
                          step="GET /servicePrincipals", app_id=app_id).get("value") or []
        return dict(value[0]) if value else None

    def create_service_principal(self, app_id: str) -> dict[str, Any]:
        return dict(self.call("POST", "/servicePrincipals", {"appId": app_id}, step="POST /servicePrincipals",
                              app_id=app_id))

    def grants(self, client_sp_id: str) -> list[dict[str, Any]]:
        return list(self.call("GET", "/oauth2PermissionGrants" + filter_query("clientId", client_sp_id),
                              step="GET /oauth2PermissionGrants").get("value") or [])

    def create_grant(self, body: dict[str, Any], app_id: str = "-") -> dict[str, Any]:
        return dict(self.call("POST", "/oauth2PermissionGrants", body, step="POST /oauth2PermissionGrants",
                              app_id=app_id))


__all__ = ["Graph", "RegistrationError"]
