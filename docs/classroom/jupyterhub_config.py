# JupyterHub for a class on one machine: the configuration oauthmail's hub test runs (tests/hub/),
# shown in docs/classroom.md. Start it as root:  jupyterhub -f jupyterhub_config.py
#
# Each student is a system user of this machine, and the hub starts their JupyterLab as that user
# (LocalProcessSpawner): the files the kit writes in ~/.config/oauthmail (0600, folders 0700) are
# theirs alone. jupyter-server-proxy (installed with `pip install "oauthmail[notebook]"`) serves
# the sandbox's sign-in and mailbox pages at /user/<name>/proxy/<port>/, so a student's browser
# reaches them through the hub, never through its own 127.0.0.1.
#
# What a room changes comes from the environment (the defaults suit one classroom server):
#   OAUTHMAIL_CLASS_PASSWORDS  file of "name:password" lines, one per student (root only, mode 600)
#   OAUTHMAIL_HUB_PORT         the port students open (default 8000); OAUTHMAIL_HUB_IP (default all)
#   OAUTHMAIL_HUB_STATE        folder for the hub's database and cookie secret (default /srv/jupyterhub)
#   OAUTHMAIL_CHP              the configurable-http-proxy command (npm install configurable-http-proxy)
#   OAUTHMAIL_NOTEBOOKS        folder each student's server opens (default ~/oauthmail/notebooks)
#   OAUTHMAIL_SINGLEUSER       jupyterhub-singleuser to run for the students (default: next to this Python)
#   OAUTHMAIL_USER_PORTS       first of the 10000 ports the students' servers get, one per uid (default 12000)
import hmac
import os
import pwd
import sys
from pathlib import Path

from jupyterhub.auth import Authenticator
from traitlets import Unicode

c = get_config()  # noqa: F821  (JupyterHub provides it)

state = Path(os.environ.get("OAUTHMAIL_HUB_STATE", "/srv/jupyterhub"))
passwords_file = os.environ.get("OAUTHMAIL_CLASS_PASSWORDS", str(state / "class-passwords"))


def read_passwords(path: str) -> dict[str, str]:
    """``name:password`` lines (blank lines and ``#`` comments skipped)."""
    out: dict[str, str] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        name, sep, password = line.strip().partition(":")
        if sep and name and not name.startswith("#"):
            out[name.strip()] = password.strip()
    return out


class ClassPasswords(Authenticator):
    """One password per student, from a file only the hub's administrator can read (no PAM)."""

    password_file = Unicode(passwords_file, config=True, help="file of name:password lines")

    async def authenticate(self, handler, data):  # type: ignore[no-untyped-def]
        name = str((data or {}).get("username", "")).strip()
        given = str((data or {}).get("password", ""))
        expected = read_passwords(self.password_file).get(name)
        if expected and hmac.compare_digest(expected.encode(), given.encode()):
            return name
        return None


c.JupyterHub.authenticator_class = ClassPasswords
c.Authenticator.allowed_users = set(read_passwords(passwords_file))

c.JupyterHub.ip = os.environ.get("OAUTHMAIL_HUB_IP", "")
c.JupyterHub.port = int(os.environ.get("OAUTHMAIL_HUB_PORT", "8000"))
c.JupyterHub.hub_port = int(os.environ.get("OAUTHMAIL_HUB_API_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('OAUTHMAIL_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.command = [os.environ.get("OAUTHMAIL_CHP", "configurable-http-proxy")]
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")

# Each student's JupyterLab runs as their own system user, from the Python the hub runs in (or from
# OAUTHMAIL_SINGLEUSER: a jupyterhub-singleuser in an environment every student can read).
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [os.environ.get("OAUTHMAIL_SINGLEUSER") or str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = os.environ.get("OAUTHMAIL_NOTEBOOKS", "~/oauthmail/notebooks")
# A whole class signs in within a minute: give a busy machine time to start every server.
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
# Each student's server listens on a port of their own, from their uid, below the range the system hands out
# as "any free port" (32768-60999 on Linux). JupyterHub's default takes such a free port and lets it go for the
# server to take seconds later; on a busy machine another program can take it meanwhile, and the hub then
# sends the student to that program (a 503 page that stays). uids 1000-10999 map to distinct ports; the
# default 12000-21999 stays clear of the students' sandboxes too (the 10000 ports just below 32768).
user_ports = int(os.environ.get("OAUTHMAIL_USER_PORTS", "12000"))


def own_port(spawner):  # type: ignore[no-untyped-def]
    spawner.port = user_ports + pwd.getpwnam(spawner.user.name).pw_uid % 10000


c.Spawner.pre_spawn_hook = own_port
# The kit keeps each student's files in ~/.config/oauthmail (OAUTHMAIL_HOME), private to them.
