"""Viewers: social's accounts. Watching needs none; buying in the legacy in-app shop needs one.
A viewer has an email (to log in), a name and a password; the API takes bearer tokens (only
their digests are stored) and the pages a signed session cookie carrying the same kind of token."""
