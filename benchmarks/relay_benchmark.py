"""Relay benchmark: `oauthmail relay` against the kit sending directly, on the same fast upstream, in one run.

    python benchmarks/relay_benchmark.py [--batch 200] [--singles 30] [--rounds 3] [--sessions 20]

Prints the issue's three figures (README rows):

1. 200 messages on ONE client connection through the relay vs the kit's ``Mailer`` sending them on one
   connection — ratio of median wall times (goal <= 1.15).
2. One message per NEW client connection through the relay vs ``send_message`` (one connection per
   message, cached token) — ratio (goal <= 1.3).
3. 20 concurrent client sessions on a relay started with NO cached token: all delivered, and how many
   token requests the sandbox's token endpoint saw (goal: 1), then one more after a relay restart (goal: 0).

The upstream is :mod:`fast_upstream` (STARTTLS + XOAUTH2, accepts any token, counts messages) in its own
process; the relay is the real ``oauthmail relay`` command in its own process; tokens come from the
sandbox. A measurement, not a test: it exits 0 either way, and prints the load average beside the figures.
"""

from __future__ import annotations

import argparse
import os
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--singles", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sessions", type=int, default=20)
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
            relay = RelayProcess(ini, env, root / "relay.log")

            def direct_batch() -> float:
                msgs = [build(i) for i in range(args.batch)]
                t0 = time.perf_counter()
                with Mailer(ini, USER) as m:
                    for msg in msgs:
                        m.send(msg)
                return time.perf_counter() - t0

            def relay_batch() -> float:
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

            def relay_single() -> float:
                msgs = [build(i) for i in range(args.singles)]
                t0 = time.perf_counter()
                for msg in msgs:
                    c = smtplib.SMTP("127.0.0.1", relay.port, timeout=30)
                    c.login(USER, password)
                    c.sendmail(USER, [TO], msg.as_bytes())
                    c.quit()
                return time.perf_counter() - t0

            relay_batch()  # warm-up: the relay verifies the password once (scrypt), imports, first connections
            direct_batch()
            times: dict[str, list[float]] = {"db": [], "rb": [], "ds": [], "rs": []}
            for _ in range(args.rounds):
                times["db"].append(direct_batch())
                times["rb"].append(relay_batch())
                times["ds"].append(direct_single())
                times["rs"].append(relay_single())
            relay.stop()
            med = {k: statistics.median(v) for k, v in times.items()}

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
        finally:
            up.stop()
            sb.stop()

    load = os.getloadavg()
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (cores: {os.cpu_count()})")
    print(f"1. {args.batch} messages, one client connection: relay {med['rb']:.3f} s, direct {med['db']:.3f} s "
          f"→ ratio {med['rb'] / med['db']:.2f} (goal <= 1.15)")
    print(f"2. one message per new connection ({args.singles}): relay {med['rs'] / args.singles * 1000:.1f} ms, "
          f"direct {med['ds'] / args.singles * 1000:.1f} ms per message → ratio {med['rs'] / med['ds']:.2f} "
          f"(goal <= 1.3)")
    print(f"3. {args.sessions} concurrent sessions, no cached token: {delivered}/{args.sessions} delivered, "
          f"{len(errors)} failed, {tokens} token request(s) (goal 1) in {conc:.2f} s; after a relay restart "
          f"{after_restart} more (goal 0)")
    print(f"   secrets in the relay's log lines: {len(leaked)} (goal 0)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
