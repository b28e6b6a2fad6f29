"""A stand-in for Google's ``gcloud``, put on ``PATH`` by the tests (no Google account exists here).

It records each argv (one JSON line per run in ``$FAKE_GCLOUD_LOG``) and answers the handful of
commands ``oauthmail register google`` runs the way gcloud does, with gcloud's real texts: each
answer below names the public thread it was copied from. The world it plays is a JSON file
(``$FAKE_GCLOUD_STATE``)::

    {"account": "alice@example.com" | null, "owned": ["my-proj"], "taken": ["someone-elses"],
     "tos": false, "quota": false, "billing": false, "deny_create": false, "deny_enable": false}

Projects it creates and services it enables are written back to the state file.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

# github.com/GoogleCloudPlatform/cloud-code-intellij/issues/3063
NOT_LOGGED_IN = """ERROR: ({cmd}) You do not currently have an active account selected.
Please run:

  $ gcloud auth login

to obtain new credentials.

If you have already logged in with a different account:

    $ gcloud config set account ACCOUNT

to select an already authenticated account to use.
"""
# github.com/GoogleCloudPlatform/magic-modules/pull/3726
DESCRIBE_DENIED = ("ERROR: (gcloud.projects.describe) User [{account}] does not have permission to access project "
                   "[{project}] (or it may not exist): The caller does not have permission\n")
# github.com/jhipster/generator-jhipster/issues/10749
CREATED = ("Create in progress for [https://cloudresourcemanager.googleapis.com/v1/projects/{project}].\n"
           "Waiting for [operations/cp.5152513577397205577] to finish...done.\n"
           "Enabling service [cloudapis.googleapis.com] on project [{project}]...\n"
           "Operation \"operations/acf.f223305a-f054-42af-8a58-def023b715e5\" finished successfully.\n")
# github.com/DrAdamRoe/cloud-variations/pull/21
TAKEN = ("ERROR: (gcloud.projects.create) Project creation failed. The project ID you specified is already in use "
         "by another project. Please try an alternative ID.\n")
# The API's violation text (github.com/taers232c/GAMADV-X/issues/12, github.com/udx/wp-stateless/issues/190),
# printed the way gcloud prints an API status (STATUS: message).
TOS = "ERROR: (gcloud.projects.create) FAILED_PRECONDITION: Callers must accept Terms of Service\n"
# The API's message (github.com/taers232c/GAMADV-XTD3/issues/116: code 8 = RESOURCE_EXHAUSTED;
# github.com/terraform-google-modules/terraform-example-foundation/issues/417), as gcloud prints it.
QUOTA = ("ERROR: (gcloud.projects.create) RESOURCE_EXHAUSTED: The project cannot be created because you have "
         "exceeded your allotted project quota.\n")
# github.com/googleapis/google-api-go-client/issues/566 ("403: The caller does not have permission").
CREATE_DENIED = "ERROR: (gcloud.projects.create) PERMISSION_DENIED: The caller does not have permission\n"
# github.com/GoogleCloudPlatform/ai-on-gke/issues/878, github.com/GoogleCloudPlatform/cloud-foundation-fabric/issues/2985
ENABLE_DENIED = ("ERROR: (gcloud.services.enable) PERMISSION_DENIED: Permission denied to enable service "
                 "[{service}]\n")
# github.com/kyegomez/zeta/issues/71
BILLING = ("ERROR: (gcloud.services.enable) FAILED_PRECONDITION: Billing account for project '522837608576' is not "
           "found. Billing must be enabled for activation of service(s) '{service}' to proceed.\n")
ENABLED = "Operation \"operations/acat.p2-522837608576-6c1f0e1a-3d1b-4a8e-9c1e-2f6f5b8f2d11\" finished successfully.\n"


def _option(argv: list[str], name: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
    return None


def main(argv: list[str]) -> int:
    state_path = Path(os.environ["FAKE_GCLOUD_STATE"])
    state: dict[str, Any] = json.loads(state_path.read_text(encoding="utf-8"))
    with open(os.environ["FAKE_GCLOUD_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(argv) + "\n")
    words = [a for a in argv if not a.startswith("-")]
    account = state.get("account")

    def save() -> None:
        state_path.write_text(json.dumps(state), encoding="utf-8")

    if words[:2] == ["auth", "list"]:
        if account:
            print(account)
        return 0
    cmd = "gcloud." + ".".join(words[:2])
    if not account:
        sys.stderr.write(NOT_LOGGED_IN.format(cmd=cmd))
        return 1
    if words[:2] == ["projects", "describe"]:
        project = words[2]
        if project in state.get("owned", []):
            print(json.dumps({"createTime": "2026-12-01T09:35:11.085Z", "lifecycleState": "ACTIVE", "name": project,
                              "projectId": project, "projectNumber": "522837608576"}))
            return 0
        sys.stderr.write(DESCRIBE_DENIED.format(account=account, project=project))
        return 1
    if words[:2] == ["projects", "create"]:
        project = words[2]
        if state.get("tos"):
            sys.stderr.write(TOS)
            return 1
        if state.get("quota"):
            sys.stderr.write(QUOTA)
            return 1
        if state.get("deny_create"):
            sys.stderr.write(CREATE_DENIED)
            return 1
        if project in state.get("taken", []) or project in state.get("owned", []):
            sys.stderr.write(TAKEN)
            return 1
        state.setdefault("owned", []).append(project)
        state.setdefault("names", {})[project] = _option(argv, "--name")
        save()
        sys.stderr.write(CREATED.format(project=project))
        return 0
    if words[:2] == ["services", "enable"]:
        service, project = words[2], _option(argv, "--project")
        if state.get("billing"):
            sys.stderr.write(BILLING.format(service=service))
            return 1
        if state.get("deny_enable") or project not in state.get("owned", []):
            sys.stderr.write(ENABLE_DENIED.format(service=service))
            return 1
        state.setdefault("enabled", {}).setdefault(project, []).append(service)
        save()
        sys.stderr.write(ENABLED)
        return 0
    sys.stderr.write(f"ERROR: (gcloud) Invalid choice: '{words[0] if words else ''}'.\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
