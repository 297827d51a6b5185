"""The `:` command line (the command palette with the console's own verbs)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider


class ConsoleCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app: Any = self.app
        found: list[tuple[str, str, Callable[[], Any]]] = [
            ("dial", "place the call in the form", app.main.action_dial),
            ("numbers", "the Numbers list", partial(app.main.action_show_list, "numbers")),
            ("applications", "the Applications list", partial(app.main.action_show_list, "apps")),
            ("history", "every call: filter, export, redial", app.action_history),
            ("live", "live calls as the gateway lists them", app.action_gateway_live),
            ("alerts", "the gateway's alerts (webhook failures, no carrier)", app.action_gateway_alerts),
            ("recent", "the gateway's finished calls", app.action_gateway_recent),
            ("campaigns", "lists of people dialled at a safe pace", app.action_campaigns),
            ("log", "the live call log", app.main.action_focus_log),
            ("amd", "answering-machine detection options", app.main.action_edit_amd),
            ("tags", "tags for the next calls", app.main.action_edit_tags),
            ("headers", "SIP headers for the next calls", app.main.action_edit_headers),
            ("fields", "every other documented request field", app.main.action_edit_fields),
            ("help", "every key and command", app.action_help),
            ("q", "quit", app.action_quit),
        ]
        for name, profile in app.settings.profiles.items():
            found.append(
                (f"profile {name}", f"switch to {name} ({profile.provider})", partial(app.switch_profile, name))
            )
        for theme in sorted(app.available_themes):
            found.append((f"theme {theme}", "use this theme", partial(setattr, app, "theme", theme)))
        return found

    def _remembered(self, name: str, callback: Callable[[], Any]) -> Callable[[], Any]:
        """The command, kept in the `:` history as it runs."""
        app: Any = self.app

        async def run() -> None:
            app.remember_entry("commands", name)
            result = callback()
            if inspect.isawaitable(result):
                await result

        return run

    async def discover(self) -> Hits:
        """With nothing typed: the commands run last, newest first, then every command."""
        app: Any = self.app
        commands = {name: (help_text, callback) for name, help_text, callback in self._commands()}
        recent = [name for name in reversed(app.state.commands) if name in commands]
        for name in [*recent, *(n for n in commands if n not in recent)]:
            help_text, callback = commands[name]
            yield DiscoveryHit(name, self._remembered(name, callback),
                               help=f"{help_text} (recent)" if name in recent else help_text)

    async def search(self, query: str) -> Hits:
        query = query.lstrip(":").strip()
        matcher = self.matcher(query)
        found = False
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                found = True
                yield Hit(score, matcher.highlight(name), self._remembered(name, callback), help=help_text)
        verb, _, wanted = query.partition(" ")
        if not found and verb in ("profile", "theme") and wanted.strip():
            # Not "No matches found": which ones there are, so the next try is right.
            app: Any = self.app
            names = list(app.settings.profiles) if verb == "profile" else sorted(app.available_themes)
            said = f"no {verb} named {wanted.strip()!r}; there are: {', '.join(names)}"
            yield Hit(1.0, said, partial(app.notify, said, severity="warning"), help="enter: say it again")
