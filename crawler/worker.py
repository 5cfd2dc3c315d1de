"""A worker process of the crawl (:mod:`crawler.offload` starts it): ``python -m crawler.worker MODULE…``

Reads tasks from its standard input and writes results to file descriptor 3, as
frames: a header (payload length, task id) and a payload: ``N`` (now) or ``L``
(later: only when no ``N`` task waits) and a pickle. Before running a task it sends an
empty frame with the task's id ("started"), then the result. A task is ``(function, args)``; its result is ``(True, value, records)`` or ``(False, exception,
records)``, ``records`` being what the task logged (INFO and up), for the crawl to log.
Standard output goes where the crawl sends it (its stderr), so that nothing a task
prints can mix with the results. It imports the modules named on its command line
first (their import time overlaps the crawl's first downloads) and says it is
ready (an empty frame of task id 0); it imports only the
standard library otherwise: no Scrapy, no Twisted. End of input, the crawl process
gone included, ends it.
"""

from __future__ import annotations

import collections
import importlib
import logging
import os
import pickle
import select
import signal
import struct
import sys

HEADER = struct.Struct("!IQ")  # payload length, task id
TASKS_FD, RESULTS_FD = 0, 3
READY = 0  # the task id of the frame a worker sends once it has imported its modules


def frame(task_id: int, payload: bytes) -> bytes:
    return HEADER.pack(len(payload), task_id) + payload


def cut_frames(buffer: bytearray) -> list[tuple[int, bytes]]:
    """The whole frames at the front of ``buffer`` as ``(task id, payload)``, removed from it
    (cut once, after the loop, not one shift per frame); a partial frame stays. Both sides
    read with it: the worker its tasks, the crawl (crawler.offload) the results."""
    frames, offset = [], 0
    while len(buffer) - offset >= HEADER.size:
        size, task_id = HEADER.unpack_from(buffer, offset)
        end = offset + HEADER.size + size
        if len(buffer) < end:
            break
        frames.append((task_id, bytes(buffer[offset + HEADER.size:end])))
        offset = end
    del buffer[:offset]
    return frames


class _Records(logging.Handler):
    """What a task logs, kept to go back with its result: the crawl logs it again, so it
    reaches Scrapy's log (LOG_FILE, a Scrapyd job's log, ``log_count/*``)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.records.append((record.name, record.levelno, record.getMessage()))
        except Exception:  # a message that cannot be formatted: said as such
            self.records.append((record.name, record.levelno, f"(unformattable log message {record.msg!r})"))

    def take(self) -> list[tuple[str, int, str]]:
        records, self.records = self.records, []
        return records


def _result(ok: bool, value, records: list) -> bytes:
    try:
        return pickle.dumps((ok, value, records), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # an unpicklable result or exception: what it was survives
        error = RuntimeError(f"a {type(value).__name__} could not be sent back from the worker: {exc!r}")
        return pickle.dumps((False, error, records), protocol=pickle.HIGHEST_PROTOCOL)


class _Inbox:
    """The tasks sent so far, read without blocking while there is work: a task marked
    ``later`` (the SQLite writer's batches) runs only when no other task is waiting, so
    that a batch being written never keeps many pages from their extraction."""

    def __init__(self, fd: int):
        self.fd = fd
        self.buffer = bytearray()
        self.now: collections.deque = collections.deque()
        self.later: collections.deque = collections.deque()
        self.closed = False

    def _read(self, block: bool) -> None:
        if not block and not select.select([self.fd], [], [], 0)[0]:
            return
        data = os.read(self.fd, 1 << 20)
        if not data:
            self.closed = True
            return
        self.buffer += data
        for task_id, payload in cut_frames(self.buffer):
            (self.later if payload[:1] == b"L" else self.now).append((task_id, payload[1:]))

    def next(self) -> tuple[int, bytes] | None:
        """The next task to run (None: input closed and nothing left)."""
        while True:
            if not self.closed:
                self._read(block=not (self.now or self.later))
                while not self.closed and select.select([self.fd], [], [], 0)[0]:
                    self._read(block=True)  # everything already sent, before choosing
            if self.now:
                return self.now.popleft()
            if self.later:
                return self.later.popleft()
            if self.closed:
                return None


def serve(inbox: _Inbox, results, log: _Records) -> None:
    while (task := inbox.next()) is not None:
        task_id, payload = task
        # "Started": an empty frame with the task's id, so that if this process dies now the
        # crawl knows which task it was running (the others it holds are not to blame).
        results.write(frame(task_id, b""))
        results.flush()
        try:
            function, args = pickle.loads(payload)
            reply = _result(True, function(*args), log.take())
        except Exception as exc:
            reply = _result(False, exc, log.take())
        results.write(frame(task_id, reply))
        results.flush()


def main(modules: list[str]) -> int:
    # Ctrl-C (and a service manager's SIGTERM) reach the whole process group: the crawl
    # decides how to stop, and closes our input when it has.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    log = _Records()
    logging.getLogger().addHandler(log)
    logging.getLogger().setLevel(logging.INFO)
    results = os.fdopen(RESULTS_FD, "wb")
    for name in modules:
        importlib.import_module(name)
    results.write(frame(READY, b""))  # the crawl tells a worker that cannot start from one that died
    results.flush()
    try:
        serve(_Inbox(TASKS_FD), results, log)
    except BrokenPipeError:  # the crawl process is gone
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
