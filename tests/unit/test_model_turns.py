"""The explorer's model turns: one call at a time, re-entrant, the views before waiting votes (for a while)."""

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


def test_waiting_views_go_before_waiting_votes_and_calls_never_overlap(monkeypatch):
    turns = ModelTurns()
    monkeypatch.setattr(turns, "max_defer_s", 5.0)  # the votes are not overdue here
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


def test_votes_wait_for_views_only_so_long(monkeypatch):
    turns = ModelTurns()
    monkeypatch.setattr(turns, "max_defer_s", 0.2)
    stop, votes_at, views_after = threading.Event(), [], []

    def views() -> None:  # three loops of urgent calls: at every moment some wait, for up to 3 s
        t_end = time.monotonic() + 3.0
        while not stop.is_set() and time.monotonic() < t_end:
            with turns.turn():
                time.sleep(0.02)
                if votes_at:
                    views_after.append(time.monotonic())

    streams = [threading.Thread(target=views) for _ in range(3)]
    for stream in streams:
        stream.start()
    time.sleep(0.1)
    asked = time.monotonic()
    with turns.turn(urgent=False):
        votes_at.append(time.monotonic())
    time.sleep(0.1)
    stop.set()
    for stream in streams:
        stream.join(5)
    assert 0.15 <= votes_at[0] - asked < 1.5  # deferred, then served while views kept coming
    assert views_after  # the stream was still running after the votes' turn
