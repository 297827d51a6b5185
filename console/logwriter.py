"""Log lines for a stream that may stall or go away (a paused terminal, `| tee` to a slow disk, a log shipper
that died): written by a thread of their own, so the event loop never waits on them. While the reader lags,
up to `limit` lines wait; beyond that they are dropped and counted, and the count is written once the reader
catches up. A reader that went away ends the writing quietly (no traceback on every batch, none at exit)."""

from __future__ import annotations

import os
import threading
from collections import deque
from typing import TextIO

LIMIT = 10_000  # lines waiting for a slow reader, at most


class LineWriter:
    def __init__(self, stream: TextIO, limit: int = LIMIT):
        self._stream = stream
        self._limit = limit
        self._lines: deque[str] = deque()
        self._dropped = 0
        self._gone = False
        self._closing = False
        self._ready = threading.Condition()
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._run, name="vgconsole-log", daemon=True)
        self._thread.start()

    @property
    def dropped(self) -> int:
        return self._dropped

    def write(self, text: str) -> None:
        """Queue `text` (whole lines); never waits for the stream."""
        with self._ready:
            if self._gone:
                return
            if len(self._lines) >= self._limit:
                self._dropped += 1
                return
            self._lines.append(text)
            self._idle.clear()
            self._ready.notify()

    def close(self, timeout: float = 2.0) -> None:
        """Let what waits be written, for at most `timeout` seconds (a stalled reader does not hold the exit)."""
        with self._ready:
            self._closing = True
            self._ready.notify()
        self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._lines and not self._closing:
                    self._ready.wait()
                if not self._lines and self._closing:
                    return
                batch = "".join(self._lines)
                self._lines.clear()
                dropped, self._dropped = self._dropped, 0
            if dropped:  # the queue was full: every line in it came before the ones dropped
                batch += f"[{dropped} log line(s) dropped: the log's reader fell behind]\n"
            try:
                self._stream.write(batch)
                self._stream.flush()
            except (BrokenPipeError, ValueError, OSError):
                self._went_away()
                return
            with self._ready:
                if not self._lines:
                    self._idle.set()

    def _went_away(self) -> None:
        """Nobody reads any more: stop writing, and point the stream at /dev/null so the interpreter's own
        flush at exit does not print a BrokenPipeError either."""
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass
        with self._ready:
            self._gone = True
            self._lines.clear()
        self._idle.set()
