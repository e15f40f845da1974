"""How many subscribe requests one client address may make: a sliding window in memory.

In memory, not in the database: client addresses are personal data that need not be kept,
and the service runs as one process (deploy/egorod-subscriptions.service). The per-e-mail
limit, which must survive restarts, is in the store.
"""
from __future__ import annotations

from collections import deque

MAX_CLIENTS = 100_000      # beyond this many tracked clients, the expired ones are dropped


class ClientLimit:
    def __init__(self, limit: int, window: float = 3600.0):
        self.limit = limit
        self.window = window
        self._seen: dict[str, deque[float]] = {}

    def allow(self, client: str, now: float) -> bool:
        """Count a request of ``client`` at ``now`` (seconds) if it is within the limit."""
        times = self._seen.setdefault(client, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        if len(self._seen) > MAX_CLIENTS:
            self._forget_idle(now)
        return True

    def _forget_idle(self, now: float) -> None:
        for client in [c for c, times in self._seen.items() if not times or times[-1] <= now - self.window]:
            del self._seen[client]
