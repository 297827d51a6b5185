"""What the console remembers between runs: the last profile and theme, each profile's form and
editors, and the `:` and `/` histories. One JSON file in the XDG state folder, the owner's only,
versioned, written whole (a crash leaves the old file or the new one, never half of either).

Never a secret: the caller leaves out secret fields; here, tags and headers named like a secret, and
any value holding a configured secret, are dropped as well. A file that cannot be read (damaged, or
written by a newer vgconsole) is set aside beside it with a message, and the console starts afresh.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from console.redact import is_secret_key

VERSION = 1
HISTORY_KEEP = 50  # entries of each history


class ProfileState(BaseModel):
    model_config = ConfigDict(extra="ignore")

    form: dict[str, str] = Field(default_factory=dict)  # the dial form's values, by field
    amd: dict[str, Any] | None = None  # the AMD editor's options, wire names, no hook (it comes from config)
    tags: list[tuple[str, str]] = Field(default_factory=list)
    headers: list[tuple[str, str]] = Field(default_factory=list)
    fields: dict[str, Any] = Field(default_factory=dict)  # More (F12), by documented path


class ConsoleState(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: int = VERSION
    profile: str | None = None
    theme: str | None = None
    profiles: dict[str, ProfileState] = Field(default_factory=dict)
    commands: list[str] = Field(default_factory=list)  # `:` commands run, oldest first
    searches: list[str] = Field(default_factory=list)  # History searches, oldest first

    def remember(self, history: str, text: str) -> None:
        """`text` as the newest entry of `history` ("commands" or "searches"), once."""
        text = text.strip()
        if not text:
            return
        entries = [e for e in getattr(self, history) if e != text]
        entries.append(text)
        setattr(self, history, entries[-HISTORY_KEEP:])


def without_secrets(pairs: Iterable[tuple[str, str]], known: Iterable[str]) -> list[tuple[str, str]]:
    """Tag or header rows fit to keep: none named like a secret, none holding a configured one."""
    secrets = [s for s in known if s]
    return [(n, v) for n, v in pairs if not is_secret_key(n) and not any(s in v for s in secrets)]


def load(path: Path) -> tuple[ConsoleState, str | None]:
    """The state kept at `path` (a fresh one when there is none), and what went wrong, if anything."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ConsoleState(), None
    except OSError as exc:
        return ConsoleState(), f"the console's remembered state {path} cannot be read ({exc.strerror}); starting afresh"
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        version = data.get("version")
        if not isinstance(version, int) or version > VERSION:
            return ConsoleState(), _set_aside(path, f"written by a newer vgconsole (version {version})")
        return ConsoleState.model_validate(data), None
    except (ValueError, ValidationError) as exc:
        reason = "damaged" if isinstance(exc, json.JSONDecodeError) else f"not what it should hold ({exc})"
        return ConsoleState(), _set_aside(path, reason.splitlines()[0])


def _set_aside(path: Path, reason: str) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.{stamp}.unreadable")
    n = 1
    while aside.exists():  # two in one second: both kept
        n += 1
        aside = path.with_name(f"{path.name}.{stamp}-{n}.unreadable")
    try:
        path.replace(aside)
    except OSError as exc:
        return f"the console's remembered state {path} is {reason} and could not be set aside ({exc.strerror})"
    return f"the console's remembered state was {reason}: set aside as {aside.name}; starting afresh"


def save(path: Path, state: ConsoleState) -> None:
    """Write the whole state: to a file of the owner's only, then renamed over the old one."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(state.model_dump_json(indent=1))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
