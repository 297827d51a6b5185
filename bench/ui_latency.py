"""Keypress to screen updated, while the gateway reports a steady stream of call events.

The console runs headless in this process, with its receiver on loopback and a real SQLite history.
The simulated gateway runs as its own process (`vgconsole simulator --mode jambonz`). Another process
places calls on it with vgconsole's own dialer, on the same history file (as `vgconsole dial` from a
second terminal would), at the rate that makes the wanted number of webhooks per second: each call is
answered by a machine with AMD on, and reports trying, ringing, in-progress, four AMD events and
completed. Every webhook goes through the console's receiver, its store and its live call log.

A key is typed into the dial form every 50 ms (a digit, then backspace) and timed from the moment it is
posted to the app until the screen's next frame that shows it: first with the console idle (the
baseline), then under load. rows_per_s is the call log's row updates put on screen per second.
Each figure is the median of --rounds runs.

The console's own CPU (this process: the UI, the receiver, the event loop; its history writer runs in a
process of its own) is read over the same window: per event, and as a share of one core.

Last line: ui_latency events_per_s=<n> p50_ms=<x> p95_ms=<y> rows_per_s=<z> cpu_us_per_event=<c>
console_cores=<f>
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EVENTS_PER_CALL = 8  # trying, ringing, in-progress, amd: machine, tone, machine stopped, stopped; completed
KEY = b"bench-hook-key"  # the console's receiver and the dialing process agree on hook tokens
KEY_EVERY_S = 0.05
WARM_UP_S = 5.0


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_simulator(receiver_port: int, speed: float) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    hook = f"http://127.0.0.1:{receiver_port}/hooks/bench/status"
    proc = subprocess.Popen(
        [sys.executable, "-m", "console", "simulator", "--port", "0", "--json", "--mode", "jambonz", "--speed",
         str(speed), "--rate-limit", "0", "--status-hook", hook],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError("the simulator did not start")
    # It reports every call on stdout: drained by a process of its own (cat), so a full pipe never slows it
    # down and the draining is not counted as the console's CPU.
    subprocess.Popen(["cat"], stdin=proc.stdout, stdout=subprocess.DEVNULL)
    return proc, json.loads(line)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def bench_app_class() -> Any:
    from console.ui.app import ConsoleApp

    class BenchApp(ConsoleApp):
        """The console, noting when each frame is composed (headless: composed, not written)."""

        waiting: tuple[float, str] | None = None
        latencies: list[float] = []

        def _display(self, screen: Any, renderable: Any) -> None:
            super()._display(screen, renderable)
            if renderable is not None and self.waiting is not None:
                posted, expected = self.waiting
                if self.query_one("#f-to").value == expected:
                    self.latencies.append(time.perf_counter() - posted)
                    self.waiting = None

    return BenchApp


async def type_keys(app: Any, seconds: float) -> list[float]:
    """One key every KEY_EVERY_S for `seconds`; each one's time to the frame that shows it."""
    from textual import events

    box = app.query_one("#f-to")
    box.focus()
    app.latencies = []
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:
        key, char = ("1", "1") if n % 2 == 0 else ("backspace", None)
        expected = box.value + "1" if char else box.value[:-1]
        app.waiting = (time.perf_counter(), expected)
        app.post_message(events.Key(key, char))
        for _ in range(200):  # bounded: 2 s at most for one key
            await asyncio.sleep(0.01)
            if app.waiting is None:
                break
        else:
            app.waiting = None
        n += 1
        await asyncio.sleep(KEY_EVERY_S)
    return list(app.latencies)


def dialer_process(cfg: str, db: str, receiver_port: int, per_s: float, seconds: float, go: Any) -> None:
    """Once `go` is set, calls at a steady rate through vgconsole's dialer, AMD results to the console."""
    from console.compose import compose
    from console.config import load_settings
    from console.hooks import HookUrls
    from console.services import Services
    from console.store import Store

    settings = load_settings(cfg)
    store = Store(Path(db))
    services = Services.build(settings, store, key=KEY)
    urls = HookUrls(f"http://127.0.0.1:{receiver_port}", KEY)
    services.gateways.hooks = lambda: urls
    request = compose(settings, "bench", to="+12125550105", amd=True)

    async def run() -> None:
        tasks: set[asyncio.Task[Any]] = set()
        begin = time.perf_counter()
        for n in range(int(per_s * seconds)):
            await asyncio.sleep(max(0.0, begin + n / per_s - time.perf_counter()))
            task = asyncio.create_task(services.dialer.place("bench", request))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks, return_exceptions=True)
        log(f"dialer: {int(per_s * seconds)} calls placed in {time.perf_counter() - begin:.1f} s "
            f"(asked: {seconds:.1f} s)")
        await services.stop()

    if go.wait(120):  # bounded: the console starts well within this
        asyncio.run(run())
    store.close()


async def measure(app: Any, args: argparse.Namespace, placing: Any, go: Any) -> dict[str, float]:
    from console.receiver_state import ReceiverState

    events = {"n": 0}
    forward = app.services.receiver.on_event

    def counted(event: Any, ingested: Any) -> None:
        events["n"] += 1
        forward(event, ingested)

    app.services.receiver.on_event = counted
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(500):  # bounded: 10 s for the receiver and the lists
            await pilot.pause(0.02)
            if app.services.receiver.state is ReceiverState.LISTENING and app.query_one("#numbers").row_count:
                break
        else:
            raise RuntimeError("the console did not start")
        log("idle: typing")
        idle = await type_keys(app, args.idle_seconds)
        log(f"load: {args.events_per_s} events/s for {args.seconds} s")
        log_widget = app.query_one("#log")
        go.set()
        await asyncio.sleep(WARM_UP_S)  # until calls end as fast as they start
        rows_before, events_before, started = log_widget.applied, events["n"], time.perf_counter()
        cpu_before = time.process_time()  # this process: the console, its receiver and its event loop
        loaded = await type_keys(app, args.seconds - WARM_UP_S)
        rows, got, elapsed, cpu = (
            log_widget.applied - rows_before,
            events["n"] - events_before,
            time.perf_counter() - started,
            time.process_time() - cpu_before,
        )
        for _ in range(300):  # bounded: 30 s for the dialer to finish
            if not placing.is_alive():
                break
            await asyncio.sleep(0.1)
        placing.kill()
    return {"idle_p50": statistics.median(idle) * 1000, "idle_p95": percentile(idle, 0.95) * 1000,
            "p50": statistics.median(loaded) * 1000, "p95": percentile(loaded, 0.95) * 1000,
            "events_per_s": got / elapsed, "rows_per_s": rows / elapsed, "keys": len(loaded),
            "cpu_us_per_event": cpu * 1e6 / max(got, 1), "cores": cpu / elapsed}


def one_round(args: argparse.Namespace) -> dict[str, float]:
    """A fresh simulator, console, history and dialing process; the figures of one run."""
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(XDG_DATA_HOME=tmp, XDG_CONFIG_HOME=tmp)
        port = free_port()
        sim, info = start_simulator(port, args.speed)
        try:
            from console.config import load_settings
            from console.services import Services
            from console.store import Store

            cfg = Path(tmp) / "bench.toml"
            cfg.write_text(
                f'default_profile = "bench"\n[receiver]\nport = {port}\n[ui]\nshow_addresses = false\n'
                f'[profiles.bench]\nprovider = "jambonz"\nbase_url = "{info["base_url"]}"\n'
                f'account_sid = "{info["account_sid"]}"\napi_key = "{info["api_key"]}"\n'
                f'webhook_secrets = ["{info["webhook_secret"]}"]\n'
                '[profiles.bench.defaults]\nfrom = "+12125550100"\n'
                'application = "0e06a1b0-d49f-4fb8-b973-b5a3c6758de1"\n')
            settings = load_settings(cfg)
            # as the console opens it: its history writer in a process of its own ([storage] writer)
            store = Store(Path(tmp) / "history.db", synchronous=settings.storage.synchronous,
                          writer=settings.storage.writer)
            app = bench_app_class()(settings, Services.build(settings, store, key=KEY))
            spawn = mp.get_context("spawn")
            go = spawn.Event()
            placing = spawn.Process(target=dialer_process, args=(str(cfg), str(Path(tmp) / "history.db"), port,
                                                                 args.events_per_s / EVENTS_PER_CALL, args.seconds, go))
            placing.start()  # before the console: it takes over the terminal's file descriptors
            result = asyncio.run(measure(app, args, placing, go))
            store.close()
        finally:
            sim.terminate()
            sim.wait(10)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events-per-s", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=13, help="of load; the first 3 s are not timed")
    parser.add_argument("--idle-seconds", type=float, default=3)
    parser.add_argument("--speed", type=float, default=4, help="simulator time scale (4: a call lasts ~2 s)")
    parser.add_argument("--rounds", type=int, default=3, help="runs; the medians are reported (p95 of ~90 keys varies)")
    args = parser.parse_args()

    rounds = []
    for n in range(1, args.rounds + 1):
        r = one_round(args)
        rounds.append(r)
        log(f"round {n}: {r['events_per_s']:.0f} events/s, keys p50 {r['p50']:.1f} ms p95 {r['p95']:.1f} ms "
            f"({r['keys']:.0f} keys; idle p50 {r['idle_p50']:.1f} ms p95 {r['idle_p95']:.1f} ms), "
            f"{r['rows_per_s']:.0f} rows/s; the console's process {r['cpu_us_per_event']:.0f} µs of CPU per event, "
            f"{r['cores']:.2f} of a core")
    med = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    print(f"ui_latency events_per_s={med['events_per_s']:.0f} p50_ms={med['p50']:.1f} "
          f"p95_ms={med['p95']:.1f} rows_per_s={med['rows_per_s']:.0f} cpu_us_per_event={med['cpu_us_per_event']:.0f} "
          f"console_cores={med['cores']:.2f}")


if __name__ == "__main__":
    main()
