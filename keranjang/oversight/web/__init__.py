"""Oversight over HTTP: the JSON API for the dashboard (`api`), the audit log as C2SP
tlog-tiles and proofs (`log`), reports as JSON and CSV (`reports`), who may do what (`auth`),
and the one table of status codes (`errors`). Entry points only translate HTTP to use cases."""
