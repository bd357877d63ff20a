"""The one rule for losses: the portal's word for one is taken only once it has repeated it.

An account missing from the drop-down, an empty drop-down, fewer rows than at the last
good read, a statistic that would go down: each is believed only once it has come back
CONFIRM_AFTER polls in a row (``step.py`` counts full reads; the statistics, polls). One
bad answer costs nothing. Pure and Home Assistant-free.
"""

from __future__ import annotations

from typing import Final

CONFIRM_AFTER: Final = 3
"""Consecutive polls that must agree before the portal's word is taken for a loss."""


class Streak[K]:
    """Per key, how many polls in a row have shown a loss; believed at CONFIRM_AFTER."""

    __slots__ = ("_counts", "_polls")

    def __init__(self) -> None:
        """Start with no streak."""
        self._counts: dict[K, int] = {}
        self._polls: dict[K, int] = {}

    def note(self, key: K, poll: int) -> bool:
        """Count one more poll showing the loss; return whether it is now believed.

        A poll counts once however often it shows the loss. The streak goes on until
        cleared: the loss stays believed while the portal repeats it.
        """
        if self._polls.get(key) == poll:
            return self.count(key) >= CONFIRM_AFTER
        self._polls[key] = poll
        count = self._counts[key] = self._counts.get(key, 0) + 1
        return count >= CONFIRM_AFTER

    def count(self, key: K) -> int:
        """Return how many polls in a row have shown the loss so far."""
        return self._counts.get(key, 0)

    def clear(self, key: K) -> None:
        """Forget a streak: the portal answered as before."""
        self._counts.pop(key, None)
        self._polls.pop(key, None)
