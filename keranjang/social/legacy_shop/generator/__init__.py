"""A generated old marketplace in the legacy in-app shop: `keranjang legacy seed`.

Deterministic (the same seed, key, moment and database give the same rows), realistic (sales
follow a heavy tail, orders stand in every state with their events, payments and escrow
entries, creators pin products on live sessions) and written in bulk.

Modules: `plan` (sizes, ids, the sellers' weights, the random streams), `names` (the words),
`tokens` (credentials derived from a key), `shops`, `people`, `timeline`, `orders` and `money`
(row builders, pure), `writer` (COPY or executemany), `seeding` (the one transaction).
It reads and writes social's tables only.
"""
