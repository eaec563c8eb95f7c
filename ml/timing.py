"""Wall and CPU time per named step of a build (reported by benchmarks and model runs)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class StepTimer:
    """Accumulates wall and process CPU seconds (all threads) per step name."""

    def __init__(self) -> None:
        self.steps: dict[str, dict[str, float]] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time the body of a `with` block under `name` (repeated names add up)."""
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            totals = self.steps.setdefault(name, {"wall_s": 0.0, "cpu_s": 0.0})
            totals["wall_s"] += time.perf_counter() - wall
            totals["cpu_s"] += time.process_time() - cpu
