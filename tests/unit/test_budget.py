"""The reconciler's request budget per gateway: a sliding minute, and pauses after 429s."""

from __future__ import annotations

from console.budget import FIRST_PAUSE_S, MAX_PAUSE_S, Budget


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_at_most_its_requests_in_any_minute() -> None:
    clock = Clock()
    budget = Budget(3, clock)
    for _ in range(3):
        assert budget.wait_s() == 0
        budget.spend()
        clock.now += 10
    assert budget.wait_s() == 30  # the first of the three leaves the minute at 60
    clock.now = 60
    assert budget.wait_s() == 0


def test_a_429_pauses_as_told_then_doubles_and_a_success_resets() -> None:
    clock = Clock()
    budget = Budget(100, clock)
    assert budget.limited(0.2) == 1.0  # at least a second, even when told less
    assert budget.wait_s() == 1.0
    assert budget.limited(None) == 2.0 and budget.limited(30) == 30  # again: twice as long, or as told
    budget.succeeded()
    assert budget.limited(None) == FIRST_PAUSE_S  # not told: the first pause
    for _ in range(20):
        budget.limited(None)
    assert budget.wait_s() == MAX_PAUSE_S
