"""Creating what the providers' consoles would otherwise make a person click through.

- Microsoft: the app registration through Microsoft Graph (``oauthmail register microsoft``).
- Google (:mod:`oauthmail.registration.google`): the project and the Gmail API through the
  person's own ``gcloud``, then deep links into the Google Auth Platform pages that have no API
  (branding, audience, data access, create client), and the downloaded client JSON handed on to
  consent (``oauthmail register google``).
"""
