"""What the benchmarks share.

- `errors`: `BenchError` (no measurement possible) and `OpFailed` (one operation failed);
- `processes`: starting and stopping the services, free ports, a hermetic environment;
- `cpu`: CPU accounting over each server's process tree, PostgreSQL's backends and the machine,
  through psutil;
- `load`: the closed (or paced) load loop, driven by a `LoadSettings` dataclass, and its
  `PhaseResult`;
- `postgres`: fresh databases created and dropped per run, connection churn, pgbench's
  TPC-B baseline;
- `profiles`: optional py-spy profiles of the servers during a phase;
- `tables`: the Rich tables every benchmark prints;
- `results`: the JSON result file (commit measured, strict JSON, the machine).
"""
