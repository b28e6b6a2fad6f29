"""Every public call of oauthmail once, against a throw-away sandbox: python every_call.py

The test suite runs it and type-checks it with ``mypy --strict`` (tests/test_examples.py): what a
script author writes type-checks as it is, with no ``Any`` leaking into their code.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import oauthmail

ALICE, BOB, DAVE = "alice@example.com", "bob@example.com", "dave@contoso.example"


def main() -> None:
    with oauthmail.sandbox.start() as sb, tempfile.TemporaryDirectory() as tmp:
        ini = Path(tmp) / "oauthmail.ini"

        # Consent in one call (loopback; the sandbox's simulated user plays the browser) ...
        alice: oauthmail.consent.ConsentResult = oauthmail.consent.google(
            sb.client_secrets_web, ini, email=ALICE, open_browser=False, make_default=True,
            on_url=lambda url: sb.approve(url, user=ALICE))
        # ... in two steps, as a notebook does (start in one cell, finish in another) ...
        flow = oauthmail.consent.start_google(sb.client_secrets_web, email=BOB)
        answer = sb.approve(flow["auth_uri"], user=BOB, follow=False)  # the address the browser ends on
        oauthmail.consent.save_result(ini, oauthmail.consent.finish(flow, answer))
        # ... and with a device code (Microsoft public client).
        dave = oauthmail.consent.microsoft(
            sb.microsoft_public_client_id, ini, authority=sb.microsoft_authority, email=DAVE, mode="device_code",
            on_flow=lambda flow: sb.approve_device_code(flow["user_code"], user=DAVE))
        print("signed in:", alice.email, dave.email)

        tokens = oauthmail.TokenFile.read(ini)
        account: oauthmail.Account = tokens.account()
        print("accounts:", ", ".join(tokens.accounts), "default:", account.email)

        sent: oauthmail.SendResult = oauthmail.send(
            ini, to=BOB, subject="Report", body="Attached.", attachments=[("report.csv", b"a,b\n1,2\n", "text/csv")])
        print("sent:", sent.message_id, "token in transcript:", sent.transcript.count("Bearer "))
        message = oauthmail.build_message(sender=account.email, to=BOB, subject="Built by hand")
        print("sent:", oauthmail.send_message(ini, message).message_id)

        with oauthmail.Mailer(ini, DAVE) as mailer:
            one: oauthmail.Sent = mailer.send(to=BOB, subject="One of many")
            batch: oauthmail.BatchResult = mailer.send_many(
                oauthmail.build_message(sender=DAVE, to=BOB, subject=f"Batch {n}") for n in range(3))
        print("mailer:", one.message_id, len(batch.sent), "sent,", len(batch.failed), "failed")

        token: oauthmail.AccessToken = oauthmail.access_token(ini, ALICE)
        print("token for", token.email, "valid for", int(token.seconds_left()), "s; XOAUTH2",
              len(token.xoauth2()), "chars")

        report: oauthmail.DoctorReport = oauthmail.doctor(ini)
        failing: list[oauthmail.Check] = [c for c in report.checks if c.status == "fail"]
        print("doctor:", "ok" if report.ok else "problems", len(report.checks), "checks,", len(failing), "failing")
        explained = oauthmail.explain("535 5.7.139 Authentication unsuccessful, the request did not meet the criteria")
        print("explain:", explained["code"], "-", explained["title"])

        record: oauthmail.SetupRecord = oauthmail.build_record(ini, doctor=report, send_result=sent)
        again = oauthmail.read_record(oauthmail.write_record(record, Path(tmp) / "setup.json"))
        print("record:", again.account, again.provider, oauthmail.write_record(record, Path(tmp) / "setup.md").name)

        try:
            oauthmail.send(ini, to="not an address", subject="x")
        except oauthmail.ConfigError as exc:
            print("error:", exc.what("en"), "hint:", exc.hint("en"))
        errors: tuple[type[oauthmail.OAuthMailError], ...] = (
            oauthmail.AuthenticationError, oauthmail.ConsentError, oauthmail.DeliveryError, oauthmail.NetworkError,
            oauthmail.TokenError)
        print("oauthmail", oauthmail.__version__, "errors:", ", ".join(e.__name__ for e in errors))
        print("delivered:", len(sb.mailbox.messages()))


if __name__ == "__main__":
    main()
