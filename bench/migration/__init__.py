"""`python -m bench.migration`: the migration engine on PostgreSQL, against PostgreSQL's own
`INSERT … SELECT` of the same rows in the same run.

A legacy marketplace is generated (`keranjang legacy seed`) into a fresh social database; every
seller is planned and forced; `keranjang migrate run --workers N` moves them all into a fresh
commerce database (bind, copy, catch-up, cutover, verify). Measured:

- copied-and-verified rows per second: the rows the journal counts copied and verified, over
  the run's wall clock, as a ratio to the baseline (target >= 0.25);
- the baseline: every legacy table the engine reads, copied by the server itself with
  `INSERT INTO … SELECT * FROM …` (no mapping, no round trip, no verification): the fastest
  the same rows can move on this machine's PostgreSQL;
- the cutover pause per merchant (p50, p99, max; target p99 <= 50 ms), from the journal;
- merchants per minute, and the extrapolation to 100,000 merchants.

No traffic runs during this bench: the pause under the traffic driver is measured by
`python -m bench.migration.traffic`, through real services. Results go to
bench/results/migration-<timestamp>.json; figures and commands in bench/README.md.
"""
