"""The evidence contract: what every service's read-only evidence endpoints return to the
regulator's monitor, and how the regulator is let in (DESIGN.md section 2).

    tokens      the regulator-token scheme: configured per service or shared through a file in the
                data folder, checked in constant time
    access      ASGI middleware every service mounts: a regulator token writes nothing, anywhere
    migration   the migration's evidence: progress, its history, each merchant's move, verification
                results (counts, sums and flags, never a buyer's row)
    social, commerce, payments
                each service's evidence document (`GET /evidence/<service>`), over `shared`
                (identity, hand-off claim names, invoice links, figures by status)
    serving     what the services' evidence endpoints share: the token read once found, who a
                token is (401 none, 403 another), fingerprints of a database and of a key

Imports no part of Keranjang: social, commerce, the migration and oversight all import it.
"""
