"""Where the kernel or command runs, and so how the browser's answer can come back (P11).

A loopback redirect is resolved by the *browser's* machine. When the code runs on Binder,
JupyterHub, Colab, Codespaces, a VS Code remote or over SSH, the browser cannot reach the
listener: the person copies the final address instead (paste mode), or uses device code
(Microsoft only; Google forbids Gmail scopes there, P13). Detection reads environment variables
only, so it is instant and testable with a made-up environment.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from ..i18n import Msg

LABELS: dict[str, Msg] = {
    "local": Msg(en="this computer", ja="このコンピューター"),
    "colab": Msg(en="Google Colab", ja="Google Colab"),
    "binder": Msg(en="Binder", ja="Binder"),
    "jupyterhub": Msg(en="JupyterHub", ja="JupyterHub"),
    "codespaces": Msg(en="GitHub Codespaces", ja="GitHub Codespaces"),
    "vscode-remote": Msg(en="a VS Code remote machine", ja="VS Code のリモート マシン"),
    "ssh": Msg(en="a machine reached over SSH", ja="SSH で接続したマシン"),
    "headless": Msg(en="this computer, without a display", ja="このコンピューター（画面なし）"),
}
RUNS_ON = Msg(en="Running on {label}.", ja="実行場所: {label}。")
REMOTE_ADVICE = Msg(
    en="This runs on a remote machine, so the sign-in page cannot return here automatically. Open the link, approve, "
    "and when your browser shows 'This site can't be reached', copy the full address from the address bar and paste "
    "it here. (Microsoft: device sign-in also works.)",
    ja="リモートのマシンで実行しているため、サインインのページからここへ自動では戻れません。リンクを開いて許可し、"
    "ブラウザーに「このサイトにアクセスできません」と表示されたら、アドレスバーのアドレスをすべてコピーしてここに"
    "貼り付けてください（Microsoft ではデバイス コードでのサインインも使えます）。",
)
HEADLESS_ADVICE = Msg(
    en="No browser found here: open the printed link in any browser on this computer.",
    ja="ここではブラウザーが見つかりません。表示されたリンクを、このコンピューターのブラウザーで開いてください。",
)


@dataclass(frozen=True)
class Environment:
    """Where the code runs, and what that means for the sign-in."""

    kind: str
    remote: bool
    browser_available: bool

    @property
    def label(self) -> str:
        """``Running on JupyterHub.`` in the current language."""
        return RUNS_ON.format(None, label=LABELS.get(self.kind, LABELS["local"]).format(None))

    @property
    def advice(self) -> str:
        """What the person should do for the sign-in here ("" when the browser just works)."""
        if self.remote:
            return REMOTE_ADVICE.format(None)
        if not self.browser_available:
            return HEADLESS_ADVICE.format(None)
        return ""

    @property
    def suggested_mode(self) -> str:
        """``"loopback"`` locally, ``"paste"`` when remote (or ``"device_code"`` for a Microsoft public client)."""
        return "paste" if self.remote else "loopback"


def detect_environment(environ: Mapping[str, str] | None = None, *, platform: str | None = None) -> Environment:
    """Guess where we run from environment variables (first match wins)."""
    env = os.environ if environ is None else environ
    plat = platform or sys.platform

    def has(*names: str) -> bool:
        return any(env.get(n) for n in names)

    if has("COLAB_RELEASE_TAG", "COLAB_BACKEND_VERSION", "COLAB_GPU"):
        return Environment("colab", True, False)
    if env.get("CODESPACES", "").lower() == "true" or has("CODESPACE_NAME"):
        return Environment("codespaces", True, False)
    if has("BINDER_SERVICE_HOST", "BINDER_REQUEST", "BINDER_REPO_URL", "BINDER_LAUNCH_HOST"):
        return Environment("binder", True, False)
    if has("JUPYTERHUB_USER", "JUPYTERHUB_API_TOKEN", "JUPYTERHUB_SERVICE_PREFIX"):
        return Environment("jupyterhub", True, False)
    if has("REMOTE_CONTAINERS", "VSCODE_REMOTE_CONTAINERS_SESSION") or (
        has("VSCODE_IPC_HOOK_CLI", "VSCODE_AGENT_FOLDER") and has("SSH_CONNECTION", "SSH_CLIENT")
    ):
        return Environment("vscode-remote", True, False)
    if has("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"):
        return Environment("ssh", True, False)
    if plat.startswith("linux") and not has("DISPLAY", "WAYLAND_DISPLAY", "WSL_DISTRO_NAME", "BROWSER"):
        return Environment("headless", False, False)
    return Environment("local", False, True)
