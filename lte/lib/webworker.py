"""The web server's worker: gunicorn's gthread worker that takes a new connection only while a thread is free.

gunicorn's workers share one listening socket, and a gthread worker accepts every connection it is woken for up to
`worker_connections` (1,000). When clients connect at once (a browser's or a phone's parallel requests, a load
test's connections), the first worker to wake takes them all and keeps them while they stay open (keep-alive),
and the other worker idles: measured with 8 connections on 2 workers × 4 threads, one worker spent 5.1 s of CPU
and the other none, and 8 connections answered no faster than 1. This worker stops accepting while its threads are
all busy, so the next connection goes to a worker with a free thread, and accepts again as soon as one is free.
Connections it already holds (kept alive, or waiting for their first bytes) are served as before.
"""

from __future__ import annotations

from gunicorn.workers import gthread


class ThreadWorker(gthread.ThreadWorker):
    @property
    def worker_connections(self) -> int:
        """How many connections this worker may hold now: gunicorn's limit while a thread is free, else none more."""
        busy = self.nr_conns - len(self.keepalived_conns) - len(self.pending_conns)
        return self.cfg.worker_connections if busy < self.cfg.threads else self.nr_conns

    @worker_connections.setter
    def worker_connections(self, value: int) -> None:
        """gunicorn's __init__ sets the limit from the configuration, which the property reads itself."""
