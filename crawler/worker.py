"""A worker process of the crawl (:mod:`crawler.offload` starts it): ``python -m crawler.worker MODULE…``

Reads tasks from its standard input and writes results to file descriptor 3, as
frames: a header (payload length, task id) and a pickle. A task is
``(function, args)``; its result is ``(True, value, records)`` or ``(False, exception,
records)``, ``records`` being what the task logged (INFO and up), for the crawl to log.
Standard output goes where the crawl sends it (its stderr), so that nothing a task
prints can mix with the results. It imports the modules named on its command line
first (their import time overlaps the crawl's first downloads) and says it is
ready (an empty frame of task id 0); it imports only the
standard library otherwise: no Scrapy, no Twisted. End of input, the crawl process
gone included, ends it.
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
import signal
import struct
import sys

HEADER = struct.Struct("!IQ")  # payload length, task id
TASKS_FD, RESULTS_FD = 0, 3
READY = 0  # the task id of the frame a worker sends once it has imported its modules


def frame(task_id: int, payload: bytes) -> bytes:
    return HEADER.pack(len(payload), task_id) + payload


def _read_exactly(stream, n: int) -> bytes | None:
    data = bytearray()
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


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


def serve(tasks, results, log: _Records) -> None:
    while True:
        header = _read_exactly(tasks, HEADER.size)
        if header is None:
            return
        size, task_id = HEADER.unpack(header)
        payload = _read_exactly(tasks, size)
        if payload is None:
            return
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
    tasks = os.fdopen(TASKS_FD, "rb")
    results = os.fdopen(RESULTS_FD, "wb")
    for name in modules:
        importlib.import_module(name)
    results.write(frame(READY, b""))  # the crawl tells a worker that cannot start from one that died
    results.flush()
    try:
        serve(tasks, results, log)
    except BrokenPipeError:  # the crawl process is gone
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
