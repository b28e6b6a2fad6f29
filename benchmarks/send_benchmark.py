"""Send benchmark: the kit against bare smtplib, on the same local sandbox, in one run.

    python benchmarks/send_benchmark.py [--runs 15] [--batch 200]

Prints three things (figures for the README):

1. ``oauthmail send`` (the installed console script, a new process each time, cached token) vs a
   bare smtplib script doing the same STARTTLS + AUTH XOAUTH2 + one message — median wall times
   and their ratio (goal <= 1.3).
2. ``python -X importtime`` of that send: none of msal, google_auth_oauthlib, requests_oauthlib,
   ipywidgets may be imported (also shows whether requests / google.auth are, and typing,
   dataclasses, inspect, pathlib: start-up time the bare script does not pay).
3. 200 messages through ``Mailer.send_many`` vs a bare smtplib loop on one connection — ratio
   (goal <= 1.2).

It is a measurement, not a test: numbers depend on the machine; the script exits 0 either way.
"""

from __future__ import annotations

import argparse
import os
import shutil
import smtplib
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from oauthmail import tokenfile
from oauthmail.mailer import Mailer
from oauthmail.message import build_message, message_bytes, recipients

USER = "alice@example.com"
TO = "bob@example.com"

BARE_SCRIPT = r'''
import smtplib, ssl, sys
from email.message import EmailMessage
host, port, user, token, to = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
msg = EmailMessage()
msg["From"], msg["To"], msg["Subject"] = user, to, "bench"
msg.set_content("hello")
ctx = ssl.create_default_context()
s = smtplib.SMTP(host, port, timeout=30, local_hostname="localhost")
s.starttls(context=ctx)
s.ehlo()
s.auth("XOAUTH2", lambda c=None: f"user={user}\x01auth=Bearer {token}\x01\x01" if c is None else "")
s.send_message(msg)
s.quit()
'''

HEAVY = ("msal", "google_auth_oauthlib", "requests_oauthlib", "ipywidgets")
ALSO_SHOWN = ("requests", "google.auth", "aiosmtpd", "cryptography",
              # start-up cost a bare smtplib script does not pay (tests/test_startup.py keeps them out)
              "typing", "dataclasses", "inspect", "pathlib", "oauthmail.transports")


def write_ini(sb: object, path: Path) -> str:
    import json

    web = json.loads(Path(sb.client_secrets_web).read_text())["web"]  # type: ignore[attr-defined]
    toks = sb.mint_tokens("google", web["client_id"], USER, ["https://mail.google.com/"])  # type: ignore[attr-defined]
    expires = datetime.now(timezone.utc) + timedelta(seconds=int(toks["expires_in"]))
    path.write_text(
        "[oauthmail]\nversion = 1\n\n"
        f"[{USER}]\nprovider = google\nclient_id = {web['client_id']}\nclient_secret = {web['client_secret']}\n"
        f"token_uri = {sb.google_token_uri}\nscopes = https://mail.google.com/\n"  # type: ignore[attr-defined]
        f"refresh_token = {toks['refresh_token']}\naccess_token = {toks['access_token']}\n"
        f"access_token_expires_at = {tokenfile.format_time(expires)}\n"
        f"smtp_host = {sb.smtp_host}\nsmtp_port = {sb.smtp_starttls_port}\nsmtp_security = starttls\n",  # type: ignore[attr-defined]
        encoding="utf-8",
    )
    os.chmod(path, 0o600)
    return str(toks["access_token"])


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()

    from oauthmail.sandbox import Sandbox

    with tempfile.TemporaryDirectory() as tmp:
        sb = Sandbox(Path(tmp) / "sandbox")
        sb.start()
        try:
            env = {**os.environ, **sb.env(), "OAUTHMAIL_HOME": str(Path(tmp) / "home")}
            # Measure what an installed kit costs: with its bytecode cached, as pip leaves it (some
            # sandboxes set PYTHONDONTWRITEBYTECODE, which would recompile the kit on every run).
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            os.environ.update(sb.env())
            ini = Path(tmp) / "bench.ini"
            token = write_ini(sb, ini)
            script = Path(tmp) / "bare.py"
            script.write_text(BARE_SCRIPT)
            exe = shutil.which("oauthmail", path=str(Path(sys.executable).parent)) or shutil.which("oauthmail")
            kit = [exe or sys.executable, *([] if exe else ["-m", "oauthmail"]), "send", "--ini", str(ini),
                   "--to", TO, "--subject", "bench", "--body", "hello"]
            bare = [sys.executable, str(script), sb.smtp_host, str(sb.smtp_starttls_port), USER, token, TO]

            # 1. one send, new process each time (interleaved, after one warm-up of each)
            timed(kit, env)
            timed(bare, env)
            kit_t, bare_t = [], []
            for _ in range(args.runs):
                kit_t.append(timed(kit, env))
                bare_t.append(timed(bare, env))
            k, b = statistics.median(kit_t), statistics.median(bare_t)
            kmin, bmin = min(kit_t), min(bare_t)
            print(f"[1] oauthmail send (cached token): median {k * 1000:.1f} ms, best {kmin * 1000:.1f} ms "
                  f"over {args.runs} runs")
            print(f"    bare smtplib script           : median {b * 1000:.1f} ms, best {bmin * 1000:.1f} ms")
            print(f"    ratio of medians {k / b:.2f}, of best runs {kmin / bmin:.2f}  (goal <= 1.30)  "
                  f"{'OK' if k / b <= 1.3 else 'OVER GOAL'}")

            # 1b. the same in one process: the library's own cost, without interpreter start-up
            from email.message import EmailMessage

            from oauthmail.mailer import send_message

            def bare_once() -> float:
                t0 = time.perf_counter()
                msg = EmailMessage()
                msg["From"], msg["To"], msg["Subject"] = USER, TO, "bench"
                msg.set_content("hello")
                c = smtplib.SMTP(sb.smtp_host, sb.smtp_starttls_port, timeout=30, local_hostname="localhost")
                c.starttls(context=ssl.create_default_context())
                c.ehlo()
                c.auth("XOAUTH2", lambda ch=None: f"user={USER}\x01auth=Bearer {token}\x01\x01" if ch is None else "")
                c.send_message(msg)
                c.quit()
                return time.perf_counter() - t0

            def kit_once() -> float:
                t0 = time.perf_counter()
                send_message(ini, build_message(sender=USER, to=TO, subject="bench", body="hello"))
                return time.perf_counter() - t0

            bare_once()
            kit_once()
            kin, bin_ = [], []
            for _ in range(args.runs):
                kin.append(kit_once())
                bin_.append(bare_once())
            ki, bi = statistics.median(kin), statistics.median(bin_)
            print(f"[1b] in one process: send_message median {ki * 1000:.1f} ms, bare smtplib {bi * 1000:.1f} ms, "
                  f"ratio {ki / bi:.2f}")

            # 2. what the send imports
            # the console script itself when installed (``-m oauthmail`` would add runpy's own imports)
            start = [exe] if exe else ["-m", "oauthmail"]
            p = subprocess.run([sys.executable, "-X", "importtime", *start, *kit[kit.index("send"):]],
                               env=env, capture_output=True, text=True, check=True)
            mods = {line.split("|")[-1].strip() for line in p.stderr.splitlines() if line.startswith("import time:")}
            heavy = [m for m in HEAVY if any(x == m or x.startswith(m + ".") for x in mods)]
            shown = {m: any(x == m or x.startswith(m + ".") for x in mods) for m in ALSO_SHOWN}
            print(f"[2] -X importtime of the send: {len(mods)} modules; heavy imported: {heavy or 'none'} "
                  f"{'OK' if not heavy else 'NOT OK'}")
            print("    also: " + ", ".join(f"{m}={'yes' if v else 'no'}" for m, v in shown.items()))

            # 3. a batch on one connection
            msgs = [build_message(sender=USER, to=TO, subject=f"batch {i}", body=f"message {i}")
                    for i in range(args.batch)]
            ctx = ssl.create_default_context(cafile=str(sb.ca_file))

            def bare_loop() -> float:
                t0 = time.perf_counter()
                conn = smtplib.SMTP(sb.smtp_host, sb.smtp_starttls_port, timeout=30, local_hostname="localhost")
                conn.starttls(context=ctx)
                conn.ehlo()
                conn.auth("XOAUTH2",
                          lambda c=None: f"user={USER}\x01auth=Bearer {token}\x01\x01" if c is None else "")
                for m in msgs:
                    conn.sendmail(USER, recipients(m), message_bytes(m))
                conn.quit()
                return time.perf_counter() - t0

            def kit_loop() -> float:
                t0 = time.perf_counter()
                with Mailer(ini) as mailer:
                    result = mailer.send_many(msgs)
                assert result.ok and len(result.sent) == args.batch, result.failed[:1]
                return time.perf_counter() - t0

            bare_b, kit_b = [], []
            for _ in range(args.rounds):  # interleaved, so load on the machine hits both alike
                bare_b.append(bare_loop())
                kit_b.append(kit_loop())
            kb, bb = statistics.median(kit_b), statistics.median(bare_b)
            print(f"[3] {args.batch} messages, one connection ({args.rounds} rounds): Mailer.send_many median "
                  f"{kb * 1000:.0f} ms, bare smtplib loop median {bb * 1000:.0f} ms")
            print(f"    ratio of medians {kb / bb:.2f}, of best rounds {min(kit_b) / min(bare_b):.2f}  "
                  f"(goal <= 1.20)  {'OK' if kb / bb <= 1.2 else 'OVER GOAL'}")
        finally:
            sb.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
