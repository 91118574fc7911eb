"""The payment simulator: a local stand-in for a payment partner, run as its own service with its
own database. It speaks a small Midtrans-like API (charge, status, refund; the server key as HTTP
Basic user name), shows buyers a pay page, and notifies the shop the way Midtrans does (JSON POST,
SHA-512 `signature_key`). Operators can make notifications arrive duplicated, late, out of order,
not at all, or alongside forgeries, to prove the shop copes."""
