# The hub test's only additions to docs/classroom/jupyterhub_config.py, which this file loads first, unchanged
# (docs/classroom.md, "The hub configuration the tests run"). Nothing here changes how students sign in,
# where their servers run or what they may read; it only makes the run observable:
#   - each student's server writes its log to ~/.jupyterhub-server.log (the test attaches it on failure);
#   - JupyterLab exposes its command registry to the page (the test runs "Run All Cells" by command id,
#     whatever language the menus are in, as tests/browser does) and fetches no news.
import os
from pathlib import Path

c = get_config()  # noqa: F821  (JupyterHub provides it)
doc_config = Path(os.environ["OAUTHMAIL_HUB_DOC_CONFIG"])
if not doc_config.is_file():  # load_subconfig would pass over a missing file in silence
    raise SystemExit(f"{doc_config} not found")
load_subconfig(str(doc_config))  # noqa: F821  (JupyterHub provides it)

singleuser = list(c.Spawner.cmd)
c.Spawner.cmd = ["/bin/sh", "-c", 'exec "$0" "$@" >>"$HOME/.jupyterhub-server.log" 2>&1', *singleuser]
c.Spawner.args = ["--LabApp.expose_app_in_browser=True", "--LabApp.news_url="]
