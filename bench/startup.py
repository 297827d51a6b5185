"""Time from launching the console in a terminal to its first screen with the panes drawn, against a bare
Textual app (Header, Input, DataTable, Footer) launched the same way, alternately, in the same run.

Each launch gets a pseudo-terminal of 120x40 (TERM=xterm-256color), a fresh data, state and config
folder, and the demo profiles (the embedded simulator): what `make run` shows a new user. The clock
runs from the fork to the first output that holds the panes' titles: the dial form's "Target", the
"Numbers" tab and the log's "calls" for the console; the column and its row for the bare app.
The process is then killed, and the next launch starts. Each figure is the median of --rounds.

Two more launches measure the floor under the console: the bare app importing the configuration library
(pydantic-settings, and pydantic's BaseModel) before it draws, and the bare app reading the console's
configuration before it draws (what the console must know before its first screen: the theme, the
profile and so the form's fields, read-only, the keys). Printed on the line before the last as `floor`.

Last line: startup vgconsole_ms=<median> bare_ms=<median> ratio=<vgconsole/bare>
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import signal
import socket
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]|\x1bP[^\x1b]*\x1b\\|\x1b\][^\x07]*\x07")
LIMIT_S = 30.0

BARE_APP = """
from textual.app import App
from textual.widgets import DataTable, Footer, Header, Input

class Bare(App):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self):
        yield Header()
        yield Input(placeholder="number")
        yield DataTable(id="t")
        yield Footer()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("bare-number", "label")
        table.add_row("+12125550100", "Demo IVR")

Bare().run()
"""
CONFIG_FIRST = """
from console.config import load_settings

load_settings(None)
"""
LIBRARY_FIRST = """
import pydantic_settings
from pydantic import BaseModel
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch(argv: list[str], env: dict[str, str], markers: tuple[str, ...]) -> float:
    """Milliseconds from the fork to the first output holding every marker (the process is then killed)."""
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    seen = ""
    try:
        deadline = start + LIMIT_S
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += ANSI.sub("", chunk.decode("utf-8", "replace"))
            if all(m in seen for m in markers):
                return (time.perf_counter() - start) * 1000
        raise SystemExit(f"no first screen within {LIMIT_S:.0f} s from {argv}; it printed: {seen[-500:]!r}")
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    python = sys.executable
    ours, bare, configured, library = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp, "bare.py")
        script.write_text(BARE_APP)
        reading = Path(tmp, "bare_reading_config.py")
        reading.write_text(CONFIG_FIRST + BARE_APP)
        importing = Path(tmp, "bare_importing_the_library.py")
        importing.write_text(LIBRARY_FIRST + BARE_APP)
        for n in range(args.rounds + 1):  # the first round warms the disk cache and is not counted
            home = Path(tmp, f"home{n}")
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "TERM": "xterm-256color",
                   "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data"),
                   "XDG_STATE_HOME": str(home / "state"), "VGCONSOLE_CONFIG": "/dev/null",
                   "VGCONSOLE_RECEIVER__PORT": str(free_port()), "PYTHONPATH": str(ROOT)}
            a = launch([python, "-m", "console"], env, ("Target", "Numbers", "calls"))
            b = launch([python, str(script)], env, ("bare-number", "Demo IVR"))
            c = launch([python, str(reading)], env, ("bare-number", "Demo IVR"))
            d = launch([python, str(importing)], env, ("bare-number", "Demo IVR"))
            if n:
                ours.append(a)
                bare.append(b)
                configured.append(c)
                library.append(d)
                print(f"round {n}: vgconsole {a:.0f} ms, bare {b:.0f} ms, bare importing pydantic-settings {d:.0f} ms, "
                      f"bare reading the config {c:.0f} ms", flush=True)
    o, b, c, d = (statistics.median(x) for x in (ours, bare, configured, library))
    print(f"floor: the bare app importing pydantic-settings before it draws {d:.0f} ms ({d / b:.2f}x the bare app), "
          f"reading the console's configuration {c:.0f} ms ({c / b:.2f}x)")
    print(f"startup vgconsole_ms={o:.0f} bare_ms={b:.0f} ratio={o / b:.2f}")


if __name__ == "__main__":
    main()
