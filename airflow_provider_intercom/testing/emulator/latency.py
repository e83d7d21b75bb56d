"""How long the emulator takes to answer: a fixed delay, or a lognormal spread like a real API's.

A lognormal distribution is fixed by its median and one upper percentile: with median ``m`` and
95th percentile ``p``, ``ln(latency)`` is normal with mean ``ln(m)`` and standard deviation
``(ln(p) - ln(m)) / z95``, where ``z95`` is the standard normal's 95th percentile.
"""

from __future__ import annotations

import math
import random
import threading
from statistics import NormalDist

__all__ = ["LatencyModel"]

_Z95 = NormalDist().inv_cdf(0.95)


class LatencyModel:
    """Seconds to wait before answering a request.

    :param median: the median latency in seconds (the fixed latency when ``p95`` is ``None``).
    :param p95: the 95th percentile in seconds; ``None`` for a fixed latency.
    :param seed: seed of the random draws, for reproducible tests; ``None`` seeds from the OS.
    :raises ValueError: for a negative median, or a ``p95`` below the median or without one.
    """

    def __init__(self, median: float = 0.0, p95: float | None = None, seed: int | None = None) -> None:
        if median < 0:
            raise ValueError("latency must be >= 0")
        if p95 is not None and (median <= 0 or p95 < median):
            raise ValueError("latency_p95 needs a latency > 0 and must be >= it")
        self.median = median
        self.p95 = p95
        self._mu = math.log(median) if median > 0 else 0.0
        self._sigma = 0.0 if p95 is None else (math.log(p95) - self._mu) / _Z95
        self._random = random.Random(seed)
        # Handler threads draw concurrently; one lock keeps a seeded sequence reproducible.
        self._lock = threading.Lock()

    def sample(self) -> float:
        """Draw one latency in seconds."""
        if self._sigma == 0.0:
            return self.median
        with self._lock:
            return self._random.lognormvariate(self._mu, self._sigma)

    def __repr__(self) -> str:
        return f"LatencyModel(median={self.median!r}, p95={self.p95!r})"
