"""Services never import Textual (only console/ui does): checked in a fresh interpreter."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import console


def test_services_do_not_import_textual() -> None:
    modules = sorted(
        m.name for m in pkgutil.walk_packages(console.__path__, "console.")
        if not m.name.startswith("console.ui") and m.name != "console.__main__"
    )
    assert {"console.config", "console.calls", "console.store", "console.status", "console.cli"} <= set(modules)
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "leaked = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(leaked))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"textual imported by services: {result.stdout}"


def test_the_gateway_clients_do_not_load_the_simulator() -> None:
    code = ("import sys, console.gateways, console.reconcile, console.dialer\n"
            "print(','.join(sorted(m for m in sys.modules if m.startswith('console.simulator') or m == 'aiohttp')))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"loaded with the gateway clients: {result.stdout}"


def test_the_first_screen_loads_no_web_server_http_client_history_or_simulator() -> None:
    """What the console needs to draw its first screen: the CLI, the config and the UI; the services and
    their libraries load afterwards, in a thread (bench/startup.py measures what this buys)."""
    heavy = ("aiohttp", "httpx", "sqlite_utils", "multiprocessing", "console.simulator", "console.services",
             "console.store", "console.receiver", "console.gateways.base", "console.reconcile", "console.dialer",
             # screens opened by a key, and the campaign commands
             "console.ui.screens.call_detail", "console.ui.screens.history", "console.ui.screens.gateway_live",
             "console.ui.screens.gateway_pages", "console.ui.screens.help", "console.ui.screens.history_filter",
             "console.ui.screens.mark_ended", "console.ui.screens.campaigns", "console.campaigns.commands")
    code = ("import sys, console.cli, console.ui.app\n"
            f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r} or m in {heavy!r})))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"loaded before the first screen: {result.stdout}"
