"""The explorer's model turns: one call at a time, re-entrant, the views before waiting votes."""

import threading
import time

from geogan_core.inference.generate import ModelTurns


def test_a_thread_may_take_its_own_turn_again():
    turns = ModelTurns()
    with turns.turn(), turns.turn(urgent=False), turns.turn():
        pass
    done = threading.Event()

    def other() -> None:
        with turns.turn():
            done.set()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(5)
    assert done.is_set()  # released after the nested turns


def test_waiting_views_go_before_waiting_votes_and_calls_never_overlap():
    turns = ModelTurns()
    order: list[str] = []
    inside = []
    holding, release = threading.Event(), threading.Event()

    def call(name: str, urgent: bool, hold: bool = False) -> None:
        with turns.turn(urgent=urgent):
            inside.append(name)
            assert len(inside) == 1, f"{inside} hold the models at once"
            order.append(name)
            if hold:
                holding.set()
                release.wait(5)
            inside.remove(name)

    first = threading.Thread(target=call, args=("first views", True, True))
    first.start()
    holding.wait(5)
    threads = [threading.Thread(target=call, args=(name, urgent)) for name, urgent in
               (("votes 1", False), ("votes 2", False), ("views", True))]
    for t in threads:  # the votes wait first, the views last
        t.start()
        time.sleep(0.1)
    release.set()
    for t in [first, *threads]:
        t.join(5)
    assert order[:2] == ["first views", "views"] and sorted(order[2:]) == ["votes 1", "votes 2"]
