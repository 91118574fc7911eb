"""`keranjang legacy traffic`: live traffic for the old combined app, and a check of what it wrote.

Viewers browse, follow yellow carts, buy and pay; sellers change prices and stock, ship, deliver
and cancel; creators go live and pin. The driver is a client like any other: it talks HTTP only
and imports no part of Keranjang, so it sees the system as buyers and sellers see it (the routing
table, for one, only through where a yellow cart leads). Every request and its answer go to a
JSON-lines journal; `check` proves against the databases that every acknowledged write survived.

    plan.py     pure: the next step from a seeded RNG (kind, actor, draws), same seed, same plan
    journal.py  one JSON line per request, written whole with one system call each
    http.py     the journaled HTTP call: timeouts, Retry-After, latency
    world.py    who acts: the driver's own viewers, creators and sellers, and the sellers it finds
    knowledge.py what the driver has learnt: pins, products, routes, orders waiting for payment
    buyers.py   a viewer's steps: browse, buy (in the app or in commerce), pay, confirm receipt
    sellers.py  a seller's steps (in the app only), and creators' steps
    runner.py   pacing to a rate, a bound on requests in flight, the summary
    report.py   the summary and the check as Rich tables
    check.py    the journal against the databases, read-only (a test tool: SQL through text())
"""
