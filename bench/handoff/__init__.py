"""Yellow-cart hand-off benchmark: hand-offs per second against a `/healthz` baseline.

Starts Keranjang (social + commerce) on free ports in a temporary data folder, measures

1. closed-loop `/healthz` load on social, then on commerce (the baseline: same server stack,
   same client, same machine, same minute);
2. closed-loop yellow-cart hand-offs: GET social `/cart/{pin}` (no redirect following), then GET
   the `Location` on commerce, complete only on 200 with the product page;

prints a table, writes JSON to bench/results/, and always stops what it started (processes and,
with `--database postgresql`, the databases it created).

    python -m bench.handoff [--seconds 10] [--connections 64] [--database sqlite|postgresql]

Exit status: 0 when the measurement ran cleanly (targets missed or not), 1 when any request
failed, 2 when the system could not be started or seeded.
"""

# The package: `options` (the command line), `system` (the services on SQLite or PostgreSQL),
# `clients` (the load generator's HTTP clients), `ops` (one `/healthz` call, one hand-off),
# `measure` (the rounds and their summary), `report` (the tables), `__main__` (the run).
