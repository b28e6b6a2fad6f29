"""Send one message with an attachment: python send_report.py oauthmail.ini bob@example.com report.pdf"""

import sys

import oauthmail

ini, to, report = sys.argv[1:4]
result = oauthmail.send(ini, to=to, subject="Monthly report", body="The report is attached.",
                        attachments=[report])
print("sent", result.message_id)
