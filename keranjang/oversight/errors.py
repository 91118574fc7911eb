"""Oversight's errors, all raised by this part (the web layer maps them to HTTP in one table,
`oversight.web`; no status number lives here)::

    OversightError
    ├── NotFound             no such rule, log entry, tile or checkpoint
    ├── InvalidRequest       a proof or tile asked for sizes the log cannot answer
    ├── NotPermitted         a token that may not do this (a regulator's token writes nothing)
    ├── Unauthenticated      no token, or one nobody issued
    ├── Unavailable          the monitor's own database stays away
    ├── RegimeInvalid        a regime file that cannot be read or names unknown rules
    └── EvidenceUnavailable  a service's evidence could not be read (never reaches a client:
        └── EvidenceMalformed  evaluation turns it into `insufficient_data`) or is not the
                               agreed shape
"""


class OversightError(Exception):
    """Base of every error oversight raises."""


class NotFound(OversightError):
    pass


class InvalidRequest(OversightError):
    pass


class NotPermitted(OversightError):
    pass


class Unauthenticated(OversightError):
    pass


class Unavailable(OversightError):
    pass


class RegimeInvalid(OversightError):
    pass


class EvidenceUnavailable(OversightError):
    pass


class EvidenceMalformed(EvidenceUnavailable):
    pass
