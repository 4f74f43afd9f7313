"""The explorer's model turns: as many calls at once as slots, re-entrant, views before waiting votes."""

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


def test_slots_let_that_many_calls_run_at_once_and_no_more():
    turns = ModelTurns(slots=2)
    inside, most = [], [0]
    lock, start = threading.Lock(), threading.Barrier(5)

    def call() -> None:
        start.wait(5)
        with turns.turn():
            with lock:
                inside.append(1)
                most[0] = max(most[0], len(inside))
            time.sleep(0.1)
            with turns.turn(urgent=False):  # re-entrant: no second slot for the same thread
                pass
            with lock:
                inside.pop()

    threads = [threading.Thread(target=call) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert most[0] == 2 and not turns._depth


def test_a_server_explorer_takes_its_slots_from_the_environment(tiny_config, monkeypatch):
    import pytest
    import torch

    from geogan_core.errors import ConfigError
    from geogan_core.inference.generate import shared_explorer

    threads = torch.get_num_threads()
    try:
        monkeypatch.setenv("GEOGAN_MODEL_SLOTS", "3")
        assert shared_explorer(str(tiny_config))._turns.slots == 3
        monkeypatch.setenv("GEOGAN_MODEL_SLOTS", "many")
        with pytest.raises(ConfigError, match="GEOGAN_MODEL_SLOTS"):
            shared_explorer(str(tiny_config), "elsewhere")  # another key: not the explorer made above
    finally:
        torch.set_num_threads(threads)
