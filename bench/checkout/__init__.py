"""Checkout benchmark: checkouts per second through HTTP on PostgreSQL, against pgbench's TPC-B
run on the same server in the same run.

Starts commerce and the payment simulator on fresh PostgreSQL databases and free ports, wired
together as `keranjang up` wires them, seeds merchants, products and buyers through the public
API, then measures, interleaved when `--rounds` > 1:

1. pgbench: `pgbench -c N -j 2 -T S` (TPC-B) on a database of its own on the same server;
2. carts (unmeasured): a pool of buyers per virtual buyer gets one product each in its cart
   through `PUT /api/cart/items/{id}` (the cart-add latency is reported from this pass);
3. checkout: N buyers in closed loops, each iteration taking the next prepared buyer of its pool
   and checking out with a fresh Idempotency-Key, creating the payment at the partner (in the
   checkout request when commerce accepts `payment_method`, else one payment request per
   order): only checkout work is in the measured window;

counts the SQL statements one checkout runs (commerce in-process on a database of its own),
checks the books at the end (orders, stock, payments), prints a table, writes JSON to
bench/results/, and always stops what it started (processes and the databases it created).

    python -m bench.checkout [--seconds 10] [--connections 32] [--rounds 3] [--show-sql]

Exit status: 0 when the measurement ran cleanly (targets missed or not), 1 when any request
failed or the books do not match, 2 when the system could not be started or seeded.
"""

# The package: `options` (the command line), `system` (the services), `api` (the buyers' HTTP
# client), `shop` (seeding, and what the buyers were answered), `carts` (the prepared carts),
# `buyer` (one checkout as a buyer does it), `statements` (SQL per checkout, commerce
# in-process), `books` (the books at the end), `measure` (the rounds and their summary),
# `report` (the tables), `__main__` (the run).
