"""Log lines for a reader that stalls or goes away: the writer never waits, drops with a count, stops quietly."""

from __future__ import annotations

import os
import threading
import time

from console.logwriter import LineWriter


def test_a_reader_that_stalls_never_holds_the_writer_and_hears_how_many_lines_were_dropped() -> None:
    read_end, write_end = os.pipe()
    stream = os.fdopen(write_end, "w")
    lines = LineWriter(stream, limit=100)
    started = time.perf_counter()
    for n in range(20_000):  # the pipe holds 64 KB: nobody reads, so the writer thread is stuck after a few hundred
        lines.write(f"line {n:05d} {'x' * 40}\n")
    assert time.perf_counter() - started < 2.0  # write() never waited on the pipe
    # (how many were dropped so far is not asserted here: a writer thread that the scheduler starved may
    # already have taken the count into the line it is writing; the text below has every drop said)
    got: list[bytes] = []

    def drain() -> None:  # the reader comes back, and reads to the end
        while chunk := os.read(read_end, 1 << 16):
            got.append(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    lines.close(timeout=10)
    stream.close()
    reader.join(10)
    os.close(read_end)
    text = b"".join(got).decode()
    assert text.startswith("line 00000") and "log line(s) dropped: the log's reader fell behind]" in text
    # every line is either there, in order, or counted in a gap
    kept = [line for line in text.splitlines() if line.startswith("line ")]
    said = sum(int(line[1:].split(" ", 1)[0]) for line in text.splitlines() if line.startswith("["))
    assert len(kept) + said == 20_000 and kept == sorted(kept)


def test_a_reader_that_went_away_ends_the_writing_quietly() -> None:
    read_end, write_end = os.pipe()
    stream = os.fdopen(write_end, "w")
    lines = LineWriter(stream)
    os.close(read_end)
    for _ in range(10):
        lines.write("nobody reads this\n")
    lines.close(timeout=5)
    assert lines._gone
    stream.write("after\n")  # the stream now points at /dev/null: no BrokenPipeError at exit either
    stream.flush()
    stream.close()
