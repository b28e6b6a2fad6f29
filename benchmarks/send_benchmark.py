"""Send benchmark: the kit against bare smtplib, on the same servers, in one run.

    python benchmarks/send_benchmark.py [--runs 21] [--batch 200]

Prints (figures for the README):

0. the load average before and after (ratios mean little above ~3 on a 2-core machine).
1. ``oauthmail send`` (the installed console script, a new process each time, cached token) vs a
   bare smtplib script doing the same STARTTLS + AUTH XOAUTH2 + one message, **paired runs**
   (kit, bare, kit, bare…), wall and CPU time (the child's user + system), against two servers:
   a. a *fast* server (``benchmarks/fast_upstream.py``, its own process: asyncio, any XOAUTH2, answers
      at once — as quick as Dovecot's submission service), where the client's own cost shows (goal <= 1.25);
   b. the sandbox (aiosmtpd, real token checks), as the README's earlier figure;
   d. where valgrind is installed, the fast-server send counted in instructions (callgrind), a figure
      the machine's load does not move.
2. ``python -X importtime`` of that send: none of msal, google_auth_oauthlib, requests_oauthlib,
   ipywidgets may be imported (also shows whether requests / google.auth are, and typing,
   dataclasses, inspect, pathlib: start-up time the bare script does not pay).
3. 200 messages through ``Mailer.send_many`` vs a bare smtplib loop on one connection, on both
   servers — ratio (goal <= 1.1).

It is a measurement, not a test: numbers depend on the machine; the script exits 0 either way.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
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


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system of the child) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def paired(kit: list[str], bare: list[str], env: dict[str, str], runs: int) -> dict[str, float]:
    """Kit and bare alternately (one warm-up each), so the machine's load hits both alike."""
    timed(kit, env)
    timed(bare, env)
    kw, kc, bw, bc, ratios = [], [], [], [], []
    for _ in range(runs):
        w1, c1 = timed(kit, env)
        w2, c2 = timed(bare, env)
        kw.append(w1)
        kc.append(c1)
        bw.append(w2)
        bc.append(c2)
        ratios.append(w1 / w2)
    med = statistics.median
    return {"kit": med(kw), "bare": med(bw), "kit_cpu": med(kc), "bare_cpu": med(bc), "kit_best": min(kw),
            "bare_best": min(bw), "ratio": med(kw) / med(bw), "paired": med(ratios), "cpu_ratio": med(kc) / med(bc)}


def report(label: str, r: dict[str, float], runs: int, goal: float | None) -> None:
    verdict = "" if goal is None else f"  (goal <= {goal:.2f})  {'OK' if r['ratio'] <= goal else 'OVER GOAL'}"
    print(f"{label}: oauthmail send median {r['kit'] * 1000:.1f} ms (cpu {r['kit_cpu'] * 1000:.1f} ms), bare smtplib "
          f"{r['bare'] * 1000:.1f} ms (cpu {r['bare_cpu'] * 1000:.1f} ms), {runs} paired runs")
    print(f"    ratio of medians {r['ratio']:.2f}, median of paired ratios {r['paired']:.2f}, "
          f"of best runs {r['kit_best'] / r['bare_best']:.2f}, of cpu {r['cpu_ratio']:.2f}{verdict}")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=21)
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

            # 1. one send, new process each time: against the fast server, then the sandbox
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from fast_upstream import FastUpstream

            from oauthmail.sandbox.certs import cert_paths

            certs = cert_paths(sb.state_dir)
            print(f"[0] load average (1, 5, 15 min) before: {load()}")
            with FastUpstream(str(certs.server_cert), str(certs.server_key)) as fast:
                fast_ini = Path(tmp) / "fast.ini"
                fast_ini.write_text(ini.read_text().replace(f"smtp_port = {sb.smtp_starttls_port}",
                                                            f"smtp_port = {fast.port}"))
                os.chmod(fast_ini, 0o600)
                kit_fast = [*kit[:kit.index("--ini") + 1], str(fast_ini), *kit[kit.index("--ini") + 2:]]
                bare_fast = [*bare[:3], str(fast.port), *bare[4:]]
                report("[1a] fast server (asyncio, answers at once)", paired(kit_fast, bare_fast, env, args.runs),
                       args.runs, 1.25)
                instructions(kit_fast, bare_fast, env)
                fast_batch = batch_against(sb.smtp_host, fast.port, fast_ini, token, sb.ca_file, args)
            report("[1b] sandbox server (aiosmtpd, checks tokens)", paired(kit, bare, env, args.runs), args.runs,
                   None)

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
            print(f"[1c] in one process (sandbox): send_message median {ki * 1000:.1f} ms, bare smtplib {bi * 1000:.1f} ms, "
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
            for label, (kb, bb, kbest, bbest) in (("fast server", fast_batch), ("sandbox", batch_against(
                    sb.smtp_host, sb.smtp_starttls_port, ini, token, sb.ca_file, args))):
                print(f"[3] {args.batch} messages, one connection, {label} ({args.rounds} rounds): Mailer.send_many "
                      f"median {kb * 1000:.0f} ms, bare smtplib loop median {bb * 1000:.0f} ms")
                print(f"    ratio of medians {kb / bb:.2f}, of best rounds {kbest / bbest:.2f}  "
                      f"(goal <= 1.10)  {'OK' if kb / bb <= 1.1 else 'OVER GOAL'}")
            print(f"[0] load average (1, 5, 15 min) after: {load()}")
        finally:
            sb.stop()
    return 0


def counted(cmd: list[str], env: dict[str, str]) -> int | None:
    """Instructions the client process executed (valgrind's callgrind), or None when it failed."""
    p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=300)
    found = re.search(r"Collected : (\d+)", p.stderr)
    return int(found.group(1)) if p.returncode == 0 and found else None


def instructions(kit: list[str], bare: list[str], env: dict[str, str]) -> None:
    """[1d]: the same send counted in instructions, which the machine's load does not change.

    Why: on a shared 2-core machine the wall and CPU medians move by more than the kit's own cost;
    callgrind gives the same count to within 0.1 % run after run. Needs valgrind (Debian); skipped otherwise.
    """
    if not shutil.which("valgrind"):
        print("[1d] instructions: skipped (valgrind is not installed: apt-get install valgrind)")
        return
    k, b = counted(kit, env), counted(bare, env)
    if not k or not b:
        print("[1d] instructions: valgrind did not finish a run; no figure")
        return
    print(f"[1d] instructions (callgrind, fast server): oauthmail send {k / 1e6:.1f} M, bare smtplib {b / 1e6:.1f} M, "
          f"ratio {k / b:.2f}  (goal <= 1.25)  {'OK' if k / b <= 1.25 else 'OVER GOAL'}")


def batch_against(host: str, port: int, ini: Path, token: str, ca_file: Path,
                  args: argparse.Namespace) -> tuple[float, float, float, float]:
    """Medians and bests of ``Mailer.send_many`` vs a bare smtplib loop (interleaved rounds)."""
    msgs = [build_message(sender=USER, to=TO, subject=f"batch {i}", body=f"message {i}") for i in range(args.batch)]
    ctx = ssl.create_default_context(cafile=str(ca_file))

    def bare_loop() -> float:
        t0 = time.perf_counter()
        conn = smtplib.SMTP(host, port, timeout=30, local_hostname="localhost")
        conn.starttls(context=ctx)
        conn.ehlo()
        conn.auth("XOAUTH2", lambda c=None: f"user={USER}\x01auth=Bearer {token}\x01\x01" if c is None else "")
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
    return statistics.median(kit_b), statistics.median(bare_b), min(kit_b), min(bare_b)


if __name__ == "__main__":
    sys.exit(main())
