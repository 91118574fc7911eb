"""The audit log's cryptography, in plain Python: Merkle tree hashing and proofs (RFC 9162
section 2.1), signed checkpoints (C2SP tlog-checkpoint on C2SP signed-note, Ed25519) and tiles
(C2SP tlog-tiles). Anyone can verify a log with these and a public key, offline."""
