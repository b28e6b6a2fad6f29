"""Send 100 messages over one connection: python send_many.py oauthmail.ini bob@example.com"""

import sys

import oauthmail

ini, to = sys.argv[1:3]
with oauthmail.Mailer(ini) as mailer:
    for n in range(1, 101):
        mailer.send(to=to, subject=f"Message {n} of 100", body=f"This is message number {n}.")
print(f"sent 100 messages over {1 + mailer.reconnects} connection(s)")
