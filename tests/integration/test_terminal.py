"""The console in a real pseudo-terminal, typed at as the README tells an operator to, keys as the
terminal sends them (escape sequences and all): what happened is read back from history and the screen."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import sqlite3
import struct
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.integration.test_sharing import free_port

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")

F2, F4, F5, F10, CTRL_G, ESC = "\x1bOQ", "\x1bOS", "\x1b[15~", "\x1b[21~", "\x07", "\x1b"
ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]|\x1bP[^\x1b]*\x1b\\|\x1b\][^\x07]*\x07")


class Terminal:
    """A vgconsole on a pty of 120x40: keys in, what it drew collected (escape sequences dropped)."""

    def __init__(self, tmp_path: Path):
        self.db = tmp_path / "history.db"
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "TERM": "xterm-256color",
               "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
               "XDG_STATE_HOME": str(tmp_path / "state"), "VGCONSOLE_CONFIG": "/dev/null",
               "VGCONSOLE_RECEIVER__PORT": str(free_port()), "PYTHONPATH": str(ROOT)}
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the console, as `make run` starts it
            os.execvpe(sys.executable, [sys.executable, "-m", "console", "--db", str(self.db)], env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.output: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output.append(chunk.decode("utf-8", "replace"))

    def screen_text(self) -> str:
        return ANSI.sub("", "".join(self.output))

    def type(self, *keys: str, pause: float = 0.15) -> None:
        for key in keys:
            os.write(self.fd, key.encode())
            time.sleep(pause)  # as a person types, and so the terminal parser sees each key by itself

    def wait(self, what: str, done: Callable[[], object], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done():
                return
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}; the screen ended with:\n"
                             f"{self.screen_text()[-2000:]}")

    def dialled(self) -> list[str]:
        if not self.db.exists():
            return []
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as db:
            return [row[0] for row in db.execute("SELECT to_number FROM calls ORDER BY id")]

    def exited(self) -> int | None:
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        return os.waitstatus_to_exitcode(status) if pid else None

    def close(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass  # it left by itself and was reaped
        os.close(self.fd)


def test_the_readme_keys_typed_in_a_real_terminal_do_what_it_says(tmp_path: Path) -> None:
    term = Terminal(tmp_path)
    try:
        term.wait("the first screen with the gateway's numbers", lambda: "Demo IVR" in term.screen_text())
        # The console opens in Number: type a number, ctrl+g dials it.
        term.type(*"+12125550101", CTRL_G)
        term.wait("the first call", lambda: term.dialled() == ["+12125550101"])
        # The dialled number stays selected: the next one replaces it; F5 dials too.
        term.type(*"+12125550102", F5)
        term.wait("the second call, not the two numbers joined",
                  lambda: term.dialled() == ["+12125550101", "+12125550102"])
        # ':' in a phone number is the command line, and what follows is typed there.
        term.output.clear()
        term.type(":", *"history", "\r")
        term.wait("History from the command line", lambda: "newest first" in term.screen_text())
        term.type(ESC, pause=0.4)
        # F4 to the log, F10 to History and back: the form's keys work again, from the log too.
        term.output.clear()
        term.type(F4, F10)
        term.wait("History from F10", lambda: "newest first" in term.screen_text())
        term.type(ESC, pause=0.4)
        term.output.clear()
        term.type(F5)  # the same number again within 30 s: it asks first (the redial guard), y dials
        term.wait("the question before dialling the same number again", lambda: "Dial it again" in term.screen_text())
        term.type("y")
        term.wait("F5 from the log dialling the form's number", lambda: len(term.dialled()) == 3)
        # In the form, q is text (a letter in a number); esc leaves the field, and there q leaves.
        term.type(F2, "q", pause=0.5)
        assert term.exited() is None, "q typed in a field quit the console"
        term.type(ESC, "q", pause=0.5)
        if "Leave anyway" in term.screen_text():  # calls still live on the demo gateway: it asks first
            term.type("y")
        code: list[int] = []

        def left() -> bool:
            status = term.exited()
            if status is not None:
                code.append(status)
            return bool(code)

        term.wait("the console to leave on q", left)
        assert code == [0]
    finally:
        term.close()
    assert term.dialled() == ["+12125550101", "+12125550102", "+12125550102"]
