"""Writers are served in the order they arrive, one at a time."""

from __future__ import annotations

import threading
import time

from thriives.adapters.db.turns import Turns


def test_turns_are_exclusive_and_first_come_first_served() -> None:
    turns = Turns()
    order: list[int] = []
    inside = 0
    most_inside = 0
    guard = threading.Lock()
    turns.acquire()  # hold the turn while the others queue up, in a known order

    def writer(number: int) -> None:
        nonlocal inside, most_inside
        turns.acquire()
        with guard:
            inside += 1
            most_inside = max(most_inside, inside)
            order.append(number)
        time.sleep(0.001)
        with guard:
            inside -= 1
        turns.release()

    threads = []
    for number in range(20):
        thread = threading.Thread(target=writer, args=(number,))
        thread.start()
        threads.append(thread)
        time.sleep(0.005)  # each is queued before the next arrives
    turns.release()
    for thread in threads:
        thread.join(5)
    assert order == list(range(20))
    assert most_inside == 1


def test_a_free_turn_is_taken_at_once_and_can_be_taken_again() -> None:
    turns = Turns()
    turns.acquire()
    turns.release()
    turns.acquire()
    turns.release()
