"""One module per ``oauthmail`` sub-command; see :mod:`oauthmail.cli`."""
