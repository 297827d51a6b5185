"""Copying: through the terminal (OSC 52), and always into a file too, since not every terminal passes
OSC 52 on (tmux only with `set -g set-clipboard on`), and the operator should know which happened."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

from textual.app import App

from console import paths


@cache  # asked once: the UI waits for the answer, and the setting rarely changes under a running console
def tmux_passes_osc52() -> bool | None:
    """Inside tmux: whether it hands OSC 52 on to the terminal (None: not in tmux, or cannot tell)."""
    if not os.environ.get("TMUX") or shutil.which("tmux") is None:
        return None
    try:
        shown = subprocess.run(["tmux", "show-options", "-gv", "set-clipboard"], capture_output=True, text=True,
                               timeout=2)
    except (OSError, subprocess.SubprocessError):
        return None
    if shown.returncode != 0:
        return None
    # only `on`: with `external` (tmux's default) tmux sets the clipboard from its own copy mode but ignores an
    # application's OSC 52 (tmux's input_osc_52 acts only when the option is on)
    return shown.stdout.strip() == "on"


def copy(app: App[object], text: str, what: str, file: Path | None = None) -> str:
    """Copy `text`; returns what to tell the operator (where it went, and where it may not have)."""
    app.copy_to_clipboard(text)
    target = file or paths.state_dir() / "copied.txt"
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text + "\n")
        also = f"; also in {target}"
    except OSError as exc:
        also = f"; not written to {target} ({exc.strerror})"
    passes = tmux_passes_osc52()
    if passes is False:
        return (f"{what}: tmux does not pass the terminal clipboard on (set -g set-clipboard on){also}")
    return f"copied {what} to the terminal's clipboard (OSC 52, if the terminal allows it){also}"
