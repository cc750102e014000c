"""The web worker takes a new connection only while one of its threads is free (lte.lib.webworker)."""

from __future__ import annotations

from collections import deque
from types import SimpleNamespace

from gunicorn.workers import gthread

from lte.lib.webworker import ThreadWorker


def worker(*, held: int, kept_alive: int = 0, waiting: int = 0, threads: int = 4) -> ThreadWorker:
    made = ThreadWorker.__new__(ThreadWorker)  # the state gunicorn's run loop reads, without a process
    made.cfg = SimpleNamespace(worker_connections=1000, threads=threads)
    made.nr_conns = held
    made.keepalived_conns = deque(range(kept_alive))
    made.pending_conns = deque(range(waiting))
    made.worker_connections = 5  # what gunicorn's __init__ sets: the property reads the configuration
    return made


def can_accept(w: ThreadWorker) -> bool:
    return w.nr_conns < w.worker_connections  # gunicorn's own test, in ThreadWorker.run


def test_it_accepts_while_a_thread_is_free():
    assert can_accept(worker(held=0))
    assert can_accept(worker(held=3))
    assert worker(held=3).worker_connections == 1000


def test_it_stops_accepting_when_every_thread_is_busy():
    assert not can_accept(worker(held=4))
    assert not can_accept(worker(held=2, threads=2))


def test_idle_connections_it_holds_leave_their_threads_free():
    assert can_accept(worker(held=10, kept_alive=6, waiting=1))  # 3 busy of 4
    assert not can_accept(worker(held=10, kept_alive=5, waiting=1))  # 4 busy


def test_it_is_gunicorns_gthread_worker_otherwise():
    assert issubclass(ThreadWorker, gthread.ThreadWorker)
    assert ThreadWorker.run is gthread.ThreadWorker.run
