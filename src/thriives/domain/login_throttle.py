"""Log-in throttling with backoff, by account name and by source, instead of a lock.

A hard lock after a few failures lets anyone lock any named account out. Here each failed
log-in counts against the name tried (whether or not such an account exists, so the count
says nothing about accounts) and against the client's address. Past a few free failures
each further failure makes that name or source wait, the wait doubling up to a ceiling;
a log-in tried while waiting is refused without looking at the password. A success
clears the name's count; a source's count is forgotten after a quiet spell.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Backoff:
    free_failures: int  # failures in a row before any wait
    first_wait: timedelta
    longest_wait: timedelta

    @property
    def forget_after(self) -> timedelta:
        """Quiet time after which a count starts again."""
        return self.longest_wait * 4


@dataclass(frozen=True)
class Throttle:
    """The failures counted against one key and the time until which it must wait."""

    failures: int = 0
    wait_until: datetime | None = None
    last_failure_at: datetime | None = None


def current(throttle: Throttle, now: datetime, policy: Backoff) -> Throttle:
    """The throttle as it stands now: a count quiet for long enough is forgotten."""
    last = throttle.last_failure_at
    if last is not None and now - last >= policy.forget_after:
        return Throttle()
    return throttle


def wait_left(throttle: Throttle, now: datetime) -> timedelta:
    """How long the key must still wait (zero when it may try)."""
    if throttle.wait_until is None or now >= throttle.wait_until:
        return timedelta(0)
    return throttle.wait_until - now


def after_failure(throttle: Throttle, now: datetime, policy: Backoff) -> Throttle:
    """Count one more failure: past the free ones, wait first_wait, doubling, at most longest_wait."""
    failures = current(throttle, now, policy).failures + 1
    excess = failures - policy.free_failures
    if excess <= 0:
        return Throttle(failures, None, now)
    wait = min(policy.first_wait * (2 ** min(excess - 1, 30)), policy.longest_wait)
    return Throttle(failures, now + wait, now)
