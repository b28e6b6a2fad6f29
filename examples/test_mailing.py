"""A pytest test of your own code against the oauthmail sandbox (no account, no network): pytest test_mailing.py

The fixtures come with oauthmail (a pytest plugin): ``oauthmail_ini`` is a token INI where
alice@example.com is signed in to the sandbox, ``oauthmail_sandbox`` the running sandbox with its mailbox.
"""

import oauthmail


def notify_failure(ini, job):  # the code under test: yours
    oauthmail.send(ini, to="oncall@example.com", subject=f"Job {job} failed", body=f"See the log of {job}.")


def test_a_failed_job_mails_the_on_call(oauthmail_ini, oauthmail_sandbox):
    notify_failure(oauthmail_ini, "nightly-backup")

    (message,) = oauthmail_sandbox.mailbox.messages()
    assert message["Subject"] == "Job nightly-backup failed"
    assert message["To"] == "oncall@example.com"
    assert message["From"] == "alice@example.com"
