"""The one family of the console's own errors: each says in a sentence what went wrong and what to do.

Catch ConsoleError to catch any of them; each also keeps the builtin base its callers expect (a bad
value is still a ValueError, a history that cannot be used still a RuntimeError)."""

from __future__ import annotations


class ConsoleError(Exception):
    """A failure the console explains to the operator itself (never a traceback)."""
