"""CPU accounting through psutil: who used the machine's cores during a measured window.

A window is two snapshots of every process's CPU time (`CpuSnapshot.take()`), and `cpu_usage`
turns them into cores (1.0 = one core fully busy) for the client (this process), each server's
process tree, PostgreSQL (only what works for this run's databases, when they are named), the
kernel's interrupt time, hypervisor steal, and everything else on the machine.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import psutil

# /proc/stat's first eight columns: their sum is the machine's time (guest time is inside user).
MACHINE_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


@dataclass(frozen=True)
class ProcessCpu:
    name: str
    # CPU seconds with its reaped children's: a parent's share of reaped children counts, so
    # short-lived processes (PostgreSQL backends forked per connection, say) are seen through
    # the postmaster once they exit.
    total: float
    own: float  # CPU seconds of its own
    parent: int


def all_processes() -> dict[int, ProcessCpu]:
    """Every process on the machine that psutil may read."""
    found = {}
    for proc in psutil.process_iter(["name", "ppid", "cpu_times"]):
        times = proc.info["cpu_times"]
        if times is None:  # not ours to read
            continue
        own = times.user + times.system
        total = own + times.children_user + times.children_system
        found[proc.pid] = ProcessCpu(proc.info["name"] or "", total, own, proc.info["ppid"] or 0)
    return found


def machine_cpu() -> dict[str, float]:
    """Seconds over all cores: total, busy, and the kernel's irq and steal parts."""
    times = psutil.cpu_times()
    part = {name: float(getattr(times, name, 0.0)) for name in MACHINE_FIELDS}
    total = sum(part.values())
    return {
        "total": total,
        "busy": total - part["idle"] - part["iowait"],
        "irq": part["irq"] + part["softirq"],  # loopback networking lands here
        "steal": part["steal"],  # time the hypervisor gave our vCPUs to someone else
    }


def client_cpu_seconds() -> float:
    """CPU seconds of this process and of the child processes it has reaped: the load generator,
    whether it runs here (asyncio) or as a subprocess run to its end (pgbench)."""
    t = psutil.Process().cpu_times()
    return t.user + t.system + t.children_user + t.children_system


def command_line(pid: int) -> str:
    """The process's command line, or its title for a process that sets one (PostgreSQL)."""
    try:
        return " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return ""


@dataclass
class CpuSnapshot:
    at: float
    client: float
    processes: dict[int, ProcessCpu]
    machine: dict[str, float]
    # PostgreSQL's process titles (which database a backend serves), read while they run.
    postgres_titles: dict[int, str] = field(default_factory=dict)

    @classmethod
    def take(cls) -> CpuSnapshot:
        processes = all_processes()
        titles = {pid: command_line(pid) for pid, p in processes.items() if p.name == "postgres"}
        return cls(time.perf_counter(), client_cpu_seconds(), processes, machine_cpu(), titles)


# A client backend's title: "postgres: [cluster: ]user database host(port) state".
CLIENT_BACKEND = re.compile(r"\S+\(\d+\)|\[local\]")


def postgres_share(title: str, databases: Sequence[str]) -> str | None:
    """How a PostgreSQL process counts for a run on `databases`: "backend" (a connection to one
    of them), "postmaster", "server" (the WAL writer, the checkpointer, autovacuum ...: shared
    work), or None (another database's connection: someone else's work)."""
    if not title:
        return "server"  # gone before its title could be read
    if not title.startswith("postgres:"):
        return "postmaster"  # the only one whose title is still its command line
    if any(name in title for name in databases):
        return "backend"
    return None if CLIENT_BACKEND.search(title) else "server"


@dataclass
class CpuWindow:
    """The time between two snapshots."""

    a: CpuSnapshot
    b: CpuSnapshot

    @property
    def wall(self) -> float:
        return self.b.at - self.a.at

    def used(self, pid: int, own: bool = False) -> float:
        """CPU seconds of `pid` in the window. A process that started in the window counts in
        full; one that ended counts through its parent's reaped-children time, unless `own`."""
        after = self.b.processes[pid]
        before = self.a.processes.get(pid, ProcessCpu("", 0.0, 0.0, 0))
        return after.own - before.own if own else after.total - before.total

    def tree(self, pid: int) -> list[int]:
        """The process and its live descendants (a server's worker processes, say)."""
        found, todo = [pid], [pid]
        while todo:
            parent = todo.pop()
            kids = [p for p, info in self.b.processes.items() if info.parent == parent]
            found += kids
            todo += kids
        return found

    def cores(self, seconds: float) -> float:
        return round(max(0.0, seconds) / self.wall, 3)


def _servers(
    window: CpuWindow, server_pids: Mapping[str, int], ours: set[int]
) -> dict[str, float | None]:
    """`NAME_cores` for each server's process tree (None: it is gone); adds the trees to `ours`."""
    out: dict[str, float | None] = {}
    for name, pid in server_pids.items():
        if pid not in window.b.processes:
            out[f"{name}_cores"] = None
            continue
        served_by = window.tree(pid)
        ours.update(served_by)
        out[f"{name}_cores"] = round(sum(window.used(p) for p in served_by) / window.wall, 3)
    return out


def _postgres(window: CpuWindow, databases: Sequence[str], ours: set[int]) -> dict[str, float]:
    """`postgres_cores`: every process named postgres, or, given `databases`, only the
    connections to those databases (also alone, as `postgres_backends`) and the server's shared
    processes, the postmaster without the backends it reaped (on a shared server, other
    databases' short-lived connections end up there)."""
    pg = [pid for pid, info in window.b.processes.items() if info.name == "postgres"]
    ours.update(pg)
    if not databases:
        return {"postgres_cores": window.cores(sum(window.used(pid) for pid in pg))}
    titles = {**window.a.postgres_titles, **window.b.postgres_titles}
    shares = {pid: postgres_share(titles.get(pid, ""), databases) for pid in pg}
    counted = [pid for pid in pg if shares[pid]]
    seconds = sum(window.used(pid, own=shares[pid] == "postmaster") for pid in counted)
    backends = sum(window.used(pid) for pid in counted if shares[pid] == "backend")
    # The connections to these databases alone (no "_cores" suffix: a part of postgres).
    return {"postgres_backends": window.cores(backends), "postgres_cores": window.cores(seconds)}


def _others_top(window: CpuWindow, ours: set[int]) -> list[tuple[str, float]]:
    """The three busiest processes that are not part of this run."""
    others = sorted(
        (
            (window.used(pid), f"{info.name}[{pid}]")
            for pid, info in window.b.processes.items()
            if pid not in ours
        ),
        reverse=True,
    )
    return [(name, round(sec / window.wall, 3)) for sec, name in others[:3] if sec > 0]


def _machine(window: CpuWindow, accounted: dict[str, Any]) -> dict[str, float]:
    """The machine's busy, irq and steal cores, and `other_cores`: the busy time not in
    `accounted` (neighbours on a shared machine)."""
    a, b = window.a.machine, window.b.machine
    total = b["total"] - a["total"]
    if total <= 0:
        return {}
    cores = os.cpu_count() or 1
    share = {k: cores * (b[k] - a[k]) / total for k in ("busy", "irq", "steal")}
    out = {
        "machine_busy_cores": round(share["busy"], 3),
        "kernel_irq_cores": round(share["irq"], 3),
        "steal_cores": round(share["steal"], 3),
    }
    known = {**accounted, **out}
    used = sum(
        v
        for k, v in known.items()
        if k.endswith("_cores") and k != "machine_busy_cores" and v is not None
    )
    out["other_cores"] = round(max(0.0, share["busy"] - used), 3)
    return out


def cpu_usage(
    a: CpuSnapshot,
    b: CpuSnapshot,
    server_pids: Mapping[str, int],
    *,
    with_postgres: bool,
    pg_databases: Sequence[str] = (),
) -> dict[str, Any]:
    """CPU used between two snapshots, in cores (1.0 = one core fully busy).

    client: this process and the children it reaped in the window (see client_cpu_seconds);
    one entry per server in `server_pids` (social, commerce, ...); postgres (PostgreSQL runs
    only; see _postgres for what `pg_databases` changes); kernel_irq and steal; other: the rest
    of the machine's busy time, with the busiest of those processes named in other_top.
    """
    window = CpuWindow(a, b)
    ours = {os.getpid()}
    out: dict[str, Any] = {"client_cores": round((b.client - a.client) / window.wall, 3)}
    out.update(_servers(window, server_pids, ours))
    if with_postgres:
        out.update(_postgres(window, pg_databases, ours))
    out["other_top"] = _others_top(window, ours)
    out.update(_machine(window, out))
    return out
