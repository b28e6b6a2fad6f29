"""Relay benchmark: `oauthmail relay` against the kit sending directly, on the same fast upstream, in one run.

    python benchmarks/relay_benchmark.py [--batch 200] [--singles 30] [--rounds 5] [--sessions 20]

Prints the issue's three figures (README rows):

1. 200 messages on ONE client connection through the relay vs the kit's ``Mailer`` sending them on one
   connection — ratio of median wall times (goal <= 1.15).
2. One message per NEW client connection through the relay vs ``send_message`` (one connection per
   message, cached token) — ratio (goal <= 1.3).
3. 20 concurrent client sessions on a relay started with NO cached token: all delivered, and how many
   token requests the sandbox's token endpoint saw (goal: 1), then one more after a relay restart (goal: 0).

The upstream is :mod:`fast_upstream` (STARTTLS + XOAUTH2, accepts any token, counts messages) in its own
process; the relay is the real ``oauthmail relay`` command in its own process; tokens come from the
sandbox. Rounds are paired and interleaved (direct and relay alternate which goes first), after a
warm-up; figures are medians. With uvloop installed the relay runs on it, so figures 1 and 2 are also
measured with ``OAUTHMAIL_RELAY_LOOP=asyncio`` (both printed). The floor line is what a do-nothing
aiosmtpd server costs the same smtplib client per message on this machine — a relay built on aiosmtpd
cannot cost less than that on top of its upstream. A measurement, not a test: it exits 0 either way,
and prints the load average beside the figures.

[1d], where valgrind is installed (``--no-instructions`` skips it): the relay's own work per message on
one client connection counted in instructions (callgrind), beside what the kit's ``Mailer`` spends per
message sending directly. Wall-time ratios on a shared 2-core machine move by 2x between quiet runs;
instruction counts do not, so a change to the relay's cost shows here first. Each side runs twice
(``--counted`` and ten times that many messages) and the difference is divided by the extra messages,
so start-up and imports cancel out.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fast_upstream import FastUpstream

from oauthmail import tokenfile
from oauthmail.mailer import Mailer, send_message
from oauthmail.relay.passwords import set_password

USER = "alice@example.com"
TO = "bob@example.com"


def build(i: int) -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = USER, TO, f"bench {i}"
    m["Message-ID"] = f"<bench-{i}-{time.time_ns()}@example.com>"
    m.set_content("hello from the relay benchmark\n" * 20)
    return m


def write_ini(sb: object, path: Path, port: int, cached: bool = True) -> None:
    import json
    from datetime import datetime, timedelta, timezone

    web = json.loads(Path(sb.client_secrets_web).read_text())["web"]  # type: ignore[attr-defined]
    toks = sb.mint_tokens("google", web["client_id"], USER, ["https://mail.google.com/"])  # type: ignore[attr-defined]
    lines = ["[oauthmail]", "version = 1", "", f"[{USER}]", "provider = google", f"client_id = {web['client_id']}",
             f"client_secret = {web['client_secret']}", f"token_uri = {sb.google_token_uri}",  # type: ignore[attr-defined]
             "scopes = https://mail.google.com/", f"refresh_token = {toks['refresh_token']}"]
    if cached:
        expires = datetime.now(timezone.utc) + timedelta(seconds=int(toks["expires_in"]))
        lines += [f"access_token = {toks['access_token']}", f"access_token_expires_at = {tokenfile.format_time(expires)}"]
    lines += ["smtp_host = 127.0.0.1", f"smtp_port = {port}", "smtp_security = starttls", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    os.chmod(path, 0o600)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _null_server(port: Any, ready: Any) -> None:
    """A do-nothing aiosmtpd server (no AUTH, no upstream): the floor of any aiosmtpd-based relay."""
    import asyncio
    import logging

    from aiosmtpd.smtp import SMTP

    logging.getLogger("mail.log").setLevel(logging.ERROR)

    class Accept:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            return "250 2.0.0 OK"

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        srv = await loop.create_server(lambda: SMTP(Accept(), hostname="null", auth_require_tls=False),
                                       "127.0.0.1", 0)
        port.value = srv.sockets[0].getsockname()[1]
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(serve())


def floor_ms(batch: int, rounds: int) -> float:
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    port, ready = ctx.Value("i", 0), ctx.Event()
    proc = ctx.Process(target=_null_server, args=(port, ready), daemon=True)
    proc.start()
    try:
        ready.wait(30)
        times = []
        for _ in range(rounds + 1):
            msgs = [build(i) for i in range(batch)]
            t0 = time.perf_counter()
            c = smtplib.SMTP("127.0.0.1", port.value, timeout=30)
            for msg in msgs:
                c.sendmail(USER, [TO], msg.as_bytes())
            c.quit()
            times.append(time.perf_counter() - t0)
        return statistics.median(times[1:]) / batch * 1000
    finally:
        proc.terminate()
        proc.join(10)


class RelayProcess:
    def __init__(self, ini: Path, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log.open("a")
        self.proc = subprocess.Popen([sys.executable, "-m", "oauthmail", "relay", "--ini", str(ini), "--listen",
                                      f"127.0.0.1:{self.port}"], stdout=subprocess.DEVNULL, stderr=self.log, env=env)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                smtplib.SMTP("127.0.0.1", self.port, timeout=2).quit()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the relay did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)
        self.log.close()


DIRECT_SCRIPT = """
import sys
from email.message import EmailMessage
from oauthmail.mailer import Mailer
ini, user, to, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
m = EmailMessage()
m["From"], m["To"], m["Subject"] = user, to, "counted"
m.set_content("hello from the relay benchmark\\n" * 20)
with Mailer(ini, user) as mailer:
    for _ in range(n):
        mailer.send(m)
"""


def _collected(stderr: str) -> int | None:
    found = re.search(r"Collected : (\d+)", stderr)
    return int(found.group(1)) if found else None


def direct_instructions(ini: Path, env: dict[str, str], n: int) -> int | None:
    """Instructions of a process that sends ``n`` messages with ``Mailer`` on one connection."""
    p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c",
                        DIRECT_SCRIPT, str(ini), USER, TO, str(n)], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, timeout=900)
    return _collected(p.stderr) if p.returncode == 0 else None


def relay_instructions(ini: Path, env: dict[str, str], password: str, n: int) -> int | None:
    """Instructions of an ``oauthmail relay`` process that passes on ``n`` messages of one client connection."""
    port = free_port()
    # stderr to a file, not a pipe: the relay logs a line per message, and a full pipe would stop it
    with tempfile.TemporaryFile(mode="w+") as err_file:
        proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                                 "-m", "oauthmail", "relay", "--ini", str(ini), "--listen", f"127.0.0.1:{port}"],
                                env={**env, "OAUTHMAIL_RELAY_LOOP": "asyncio"}, stdout=subprocess.DEVNULL,
                                stderr=err_file, text=True)
        try:
            deadline = time.time() + 600  # imports under valgrind take a while
            while True:
                try:
                    c = smtplib.SMTP("127.0.0.1", port, timeout=300)
                    break
                except OSError:
                    if time.time() > deadline or proc.poll() is not None:
                        return None
                    time.sleep(0.5)
            c.login(USER, password)
            data = build(0).as_bytes()
            for _ in range(n):
                c.sendmail(USER, [TO], data)
            c.quit()
            proc.send_signal(signal.SIGTERM)  # the relay stops cleanly; valgrind then prints its count
            proc.wait(600)
            err_file.seek(0)
            return _collected(err_file.read()) if proc.returncode == 0 else None
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(30)


def instructions(ini: Path, env: dict[str, str], password: str, counted: int) -> str:
    """The [1d] line: the relay's and the direct Mailer's instructions per message, start-up cancelled out."""
    if not shutil.which("valgrind"):
        return "[1d] instructions: skipped (valgrind is not installed: apt-get install valgrind)"
    many = counted * 10
    r1, r2 = relay_instructions(ini, env, password, counted), relay_instructions(ini, env, password, many)
    d1, d2 = direct_instructions(ini, env, counted), direct_instructions(ini, env, many)
    if None in (r1, r2, d1, d2):
        return "[1d] instructions: valgrind did not finish a run; no figure"
    relay = (r2 - r1) / (many - counted)  # type: ignore[operator]
    direct = (d2 - d1) / (many - counted)  # type: ignore[operator]
    return (f"[1d] instructions per message, one client connection (callgrind, {many - counted} messages): relay "
            f"process {relay / 1e3:.0f} k, the kit sending directly (Mailer) {direct / 1e3:.0f} k → the relay hop "
            f"adds {relay / direct:.2f}x the direct sender's own work (the client of the relay not counted)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--singles", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--counted", type=int, default=20,
                    help="[1d]: messages of the short counted run (the long one has ten times as many)")
    ap.add_argument("--no-instructions", action="store_true", help="skip [1d] (valgrind)")
    args = ap.parse_args()

    from oauthmail.sandbox import Sandbox
    from oauthmail.sandbox.certs import cert_paths

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sb = Sandbox(root / "sandbox")
        sb.start()
        paths = cert_paths(sb.state_dir)
        up = FastUpstream(str(paths.server_cert), str(paths.server_key)).start()
        env = {**os.environ, **sb.env(), "OAUTHMAIL_HOME": str(root / "home")}
        os.environ.update({k: env[k] for k in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "OAUTHMAIL_HOME")})
        try:
            ini = root / "t.ini"
            write_ini(sb, ini, up.port)
            _, password = set_password(ini, USER)
            try:
                import uvloop  # noqa: F401
                loops = ["uvloop", "asyncio"]
            except ImportError:
                loops = ["asyncio"]
            relays = {name: RelayProcess(ini, {**env, "OAUTHMAIL_RELAY_LOOP": name}, root / "relay.log")
                      for name in loops}
            load_before = os.getloadavg()

            def direct_batch() -> float:
                msgs = [build(i) for i in range(args.batch)]
                t0 = time.perf_counter()
                with Mailer(ini, USER) as m:
                    for msg in msgs:
                        m.send(msg)
                return time.perf_counter() - t0

            def relay_batch(relay: RelayProcess) -> float:
                msgs = [build(i) for i in range(args.batch)]
                t0 = time.perf_counter()  # the client serialises its messages inside the timing, as Mailer does
                c = smtplib.SMTP("127.0.0.1", relay.port, timeout=30)
                c.login(USER, password)
                for msg in msgs:
                    c.sendmail(USER, [TO], msg.as_bytes())
                c.quit()
                return time.perf_counter() - t0

            def direct_single() -> float:
                msgs = [build(i) for i in range(args.singles)]
                t0 = time.perf_counter()
                for msg in msgs:
                    send_message(ini, msg, account=USER)
                return time.perf_counter() - t0

            def relay_single(relay: RelayProcess) -> float:
                msgs = [build(i) for i in range(args.singles)]
                t0 = time.perf_counter()
                for msg in msgs:
                    c = smtplib.SMTP("127.0.0.1", relay.port, timeout=30)
                    c.login(USER, password)
                    c.sendmail(USER, [TO], msg.as_bytes())
                    c.quit()
                return time.perf_counter() - t0

            for relay in relays.values():  # warm-up: password check (scrypt), imports, first connections
                relay_batch(relay)
                relay_single(relay)
            direct_batch()
            direct_single()
            times: dict[str, list[float]] = {"db": [], "ds": []}
            for name in loops:
                times[f"rb-{name}"], times[f"rs-{name}"] = [], []
            for r in range(args.rounds):
                order = ["direct", *loops] if r % 2 == 0 else [*loops, "direct"]
                for who in order:
                    if who == "direct":
                        times["db"].append(direct_batch())
                        times["ds"].append(direct_single())
                    else:
                        times[f"rb-{who}"].append(relay_batch(relays[who]))
                        times[f"rs-{who}"].append(relay_single(relays[who]))
            for relay in relays.values():
                relay.stop()
            med = {k: statistics.median(v) for k, v in times.items()}
            floor = floor_ms(args.batch, args.rounds)

            # 3: concurrent sessions on a relay without a cached token
            ini2 = root / "cold.ini"
            write_ini(sb, ini2, up.port, cached=False)
            _, password2 = set_password(ini2, USER)
            before_tokens, before_msgs = len(sb.token_requests), up.count()
            relay2 = RelayProcess(ini2, env, root / "relay2.log")
            errors: list[BaseException] = []
            barrier = threading.Barrier(args.sessions)

            def session(i: int) -> None:
                try:
                    c = smtplib.SMTP("127.0.0.1", relay2.port, timeout=60)
                    c.login(USER, password2)
                    barrier.wait(60)
                    c.sendmail(USER, [TO], build(i).as_bytes())
                    c.quit()
                except BaseException as exc:  # a failed session is counted, not raised
                    errors.append(exc)

            threads = [threading.Thread(target=session, args=(i,)) for i in range(args.sessions)]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            conc = time.perf_counter() - t0
            relay2.stop()
            delivered = up.count() - before_msgs
            tokens = len(sb.token_requests) - before_tokens
            relay3 = RelayProcess(ini2, env, root / "relay3.log")  # a restart: the INI's cached token serves
            c = smtplib.SMTP("127.0.0.1", relay3.port, timeout=30)
            c.login(USER, password2)
            c.sendmail(USER, [TO], build(0).as_bytes())
            c.quit()
            relay3.stop()
            after_restart = len(sb.token_requests) - before_tokens - tokens
            log_text = "".join((root / n).read_text() for n in ("relay.log", "relay2.log", "relay3.log"))
            leaked = [s for s in [*tokenfile.read(ini2).account().secrets(), password, password2] if s in log_text]
            counted = "" if args.no_instructions else instructions(ini, env, password, args.counted)
        finally:
            up.stop()
            sb.stop()

    load = os.getloadavg()
    print(f"load average: {load_before[0]:.2f} before, {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} after "
          f"(cores: {os.cpu_count()}); {args.rounds} paired rounds, medians")
    for name in loops:
        rb_, rs_ = med[f"rb-{name}"], med[f"rs-{name}"]
        print(f"1. {args.batch} messages, one client connection [relay on {name}]: relay {rb_:.3f} s "
              f"({rb_ / args.batch * 1000:.2f} ms/msg), direct {med['db']:.3f} s "
              f"({med['db'] / args.batch * 1000:.2f} ms/msg) → ratio {rb_ / med['db']:.2f} (goal <= 1.15)")
        print(f"2. one message per new connection ({args.singles}) [relay on {name}]: relay "
              f"{rs_ / args.singles * 1000:.1f} ms, direct {med['ds'] / args.singles * 1000:.1f} ms per message "
              f"→ ratio {rs_ / med['ds']:.2f} (goal <= 1.3)")
    print(f"   floor: a do-nothing aiosmtpd server costs the same smtplib client {floor:.2f} ms/msg here "
          f"(direct: {med['db'] / args.batch * 1000:.2f} ms/msg)")
    print(f"3. {args.sessions} concurrent sessions, no cached token: {delivered}/{args.sessions} delivered, "
          f"{len(errors)} failed, {tokens} token request(s) (goal 1) in {conc:.2f} s; after a relay restart "
          f"{after_restart} more (goal 0)")
    print(f"   secrets in the relay's log lines: {len(leaked)} (goal 0)")
    if counted:
        print(counted)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
