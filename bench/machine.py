"""How fast this machine runs plain Python right now: the CPU seconds of one fixed workload.

Most targets are ratios measured in one run, but a few are absolute (articles/s, the warm run's
seconds, upserts/s, the export's seconds). The project machine is a shared VM whose speed has
varied about fivefold between days (docs/benchmarks.md), so every bench reports this reference
(``reference_cpu_s`` in its ``figures:`` line): absolute figures of two days compare through it.
"""

from __future__ import annotations

import time


def reference_cpu_s() -> float:
    """CPU seconds of summing 10 million squares in a generator (about 0.7 s on a quick core)."""
    t0 = time.process_time()
    sum(i * i for i in range(10_000_000))
    return round(time.process_time() - t0, 2)
