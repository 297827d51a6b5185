"""A campaign's lock, beside the history file: held by the one process dialling it (a console or a
`campaign run`), so that no two dial it at once, and looked at by whoever wants to know if one does."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import IO

from console.campaigns.progress import Campaign

LOCK_TRIES = 3


class AlreadyRunning(Exception):
    """Another process holds the campaign's lock (or it cannot be taken); the message says which file."""


def lock_path(history: Path, campaign_id: int) -> Path:
    """Beside the history file: every process on this history finds it."""
    return history.with_name(f"{history.name}.campaign-{campaign_id}.lock")


def take_lock(history: Path, campaign: Campaign) -> IO[str]:
    """The campaign's lock, held until the returned file is closed (or the process ends, however it ends)."""
    path = lock_path(history, campaign.id)
    try:
        held = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a")  # history's side file
    except OSError as exc:
        raise AlreadyRunning(f"cannot take campaign {campaign.name}'s lock {path}: {exc.strerror or exc}") from None
    for attempt in range(LOCK_TRIES):  # a look from dialled_elsewhere holds it for a moment: not a dialler
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return held
        except OSError:
            if attempt + 1 < LOCK_TRIES:
                time.sleep(0.01)
    held.close()
    raise AlreadyRunning(f"campaign {campaign.name} is already being dialled by another vgconsole (it holds "
                         f"{path})")


def dialled_elsewhere(history: Path, campaign_id: int) -> bool:
    """Another process holds the campaign's lock (it is dialling it). Asked without creating the lock file;
    not for a campaign this process runs (its own lock would answer)."""
    try:
        with lock_path(history, campaign_id).open("r") as probe:
            try:
                fcntl.flock(probe, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(probe, fcntl.LOCK_UN)
            return False
    except PermissionError:  # another user's lock (it is theirs only): never said to be idle on a guess
        return True
    except OSError:  # no lock file: nobody ever ran it on this history
        return False
