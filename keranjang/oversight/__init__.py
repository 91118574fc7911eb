"""The regulator's monitor: rules, evidence read over HTTP with a regulator token, results
history, the deadline, and an audit log the regulator verifies alone. It touches no other
service's database and can change nothing (DESIGN.md section 2, line 5).

    auditlog    the verifiable log: RFC 6962/9162 Merkle hashing and proofs, C2SP signed
                checkpoints and tiles (pure, no web, no database)
"""
