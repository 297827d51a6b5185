"""History store at scale: 1,000,000 calls and 4,000,000 events.

The database is generated once into bench/.cache and reused (opening it migrates it to the current
schema). Measures, through the real Store: the newest page, and a search for a phone number (trigram
index); the baseline, measured in the same run on the same numbers, is a plain LIKE scan over the same
columns. Then the history screen itself, headless in a real Textual app on the same file: from the key
that opens it to its first page in the table, the next page, and a typed search; each the median of
several runs.

Last line: history calls=... events=... newest_page_ms=... search_number_ms=... scan_search_ms=...
search_speedup=... screen_open_ms=... next_page_ms=... text_search_ms=... summary_counted_ms=...
summary_kept_ms=... summary_ratio=... (the dashboard counted for a filter, and asked again with nothing written)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from console.callfilter import CallFilter  # noqa: E402
from console.store import Store  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
GENERATOR = 1  # bump when the generated data changes shape
STATUSES = ["completed"] * 55 + ["no_answer"] * 20 + ["busy"] * 10 + ["failed"] * 10 + ["canceled"] * 5
PROFILES = [
    ("demo-cognigy", "cognigy"),
    ("demo-jambonz", "jambonz"),
    ("demo-ibm", "ibm"),
    ("demo-mobtexting", "mobtexting"),
]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def number(rng: random.Random) -> str:
    return f"+1{rng.choice(['212', '646', '415', '312', '617'])}{rng.randint(2000000, 9999999)}"


def generate(path: Path, calls: int, events_per_call: int) -> None:
    tmp = path.with_suffix(".partial")
    for leftover in path.parent.glob(tmp.name + "*"):
        leftover.unlink()
    Store(tmp).close()  # schema and migrations, exactly as the console creates them
    conn = sqlite3.connect(tmp, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -262144")
    rng = random.Random(7)
    start = time.perf_counter()
    base = 1_700_000_000
    chunk = 20_000
    for first in range(0, calls, chunk):
        call_rows, event_rows = [], []
        for i in range(first, min(first + chunk, calls)):
            profile, provider = PROFILES[i % 4]
            status = rng.choice(STATUSES)
            created = base + i * 3
            at = lambda s: time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(s))  # noqa: E731
            answered = status == "completed"
            duration = rng.randint(5, 600) if answered else None
            sid = f"{rng.getrandbits(128):032x}"
            to = number(rng)
            tags = json.dumps({"campaign": f"campaign-{i % 50}", "agent": f"agent-{i % 200}"})
            request = json.dumps(
                {"from": "+12125550100", "to": {"type": "phone", "number": to}, "tag": json.loads(tags)}
            )
            call_rows.append((i + 1, f"{i:016x}", profile, provider, sid, None, "+12125550100", to, "phone", status,
                              None, 200 if answered else 486, "OK" if answered else "Busy Here", None, None, tags,
                              request, None, at(created), at(created + 8) if answered else None,
                              at(created + 8 + (duration or 30)), at(created + 8 + (duration or 30)), duration,
                              None))  # attempts: MOBtexting's own retries
            flow = (
                ["trying", "ringing", "in-progress", "completed"]
                if answered
                else ["trying", "ringing", "early-media", status]
            )
            for n in range(events_per_call):
                word = flow[n % len(flow)]
                raw = json.dumps({"call_sid": sid, "direction": "outbound", "from": "12125550100", "to": to,
                                  "call_status": word, "sip_status": 100 + 80 * n, "account_sid": "9b1f6c2e",
                                  "customerData": json.loads(tags)})
                event_rows.append((f"{i:016x}{n:02x}{'0' * 46}", i + 1, profile, provider, sid, None, "status", word,
                                   word, 100, None, None, None, None, None, None, at(created + n), 1, raw))
        conn.execute("BEGIN")
        conn.executemany(f"INSERT INTO calls VALUES ({','.join('?' * 24)})", call_rows)
        conn.executemany(
            "INSERT INTO events (dedup_key, call_id, profile, provider, call_sid, token, kind, status, "
            "provider_status, sip_status, sip_reason, amd_result, amd_reason, duration, customer_data, details, "
            "received_at, verified, raw) "
            f"VALUES ({','.join('?' * 19)})",
            event_rows,
        )
        conn.execute("COMMIT")
        done = min(first + chunk, calls)
        if done % 100_000 == 0:
            log(f"  {done:,} calls ({time.perf_counter() - start:.0f} s)")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    conn.close()
    tmp.rename(path)
    for side in tmp.parent.glob(tmp.name + "-*"):
        side.unlink()


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--events-per-call", type=int, default=4)
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"history-{args.calls}x{args.events_per_call}-g{GENERATOR}.db"
    older = CACHE / f"history-{args.calls}x{args.events_per_call}-s1-g{GENERATOR}.db"
    if not path.exists() and older.exists():
        older.rename(path)  # the same data; the Store migrates it on opening
    if not path.exists():
        log(f"generating {path.name} (once; reused afterwards)")
        generate(path, args.calls, args.events_per_call)
    store = Store(path, synchronous="normal")
    try:
        reader = store._reader()
        calls = reader.execute("SELECT count(*) FROM calls").fetchone()[0]
        events = reader.execute("SELECT count(*) FROM events").fetchone()[0]
        rng = random.Random(11)
        ids = [rng.randint(1, calls) for _ in range(15)]
        numbers = [reader.execute("SELECT to_number FROM calls WHERE id = ?", [i]).fetchone()[0] for i in ids]
        # What an operator types: the number as written on a ticket, or its last digits.
        terms = [n[2:5] + " " + n[5:8] + "-" + n[8:] if k % 2 else n[-7:] for k, n in enumerate(numbers)]

        newest = median_ms(lambda: store.page(limit=50), 25)
        found = [store.page(search=t, limit=50) for t in terms]
        assert all(any(c.to_number == n for c in page) for page, n in zip(found, numbers)), "search missed a number"
        search = statistics.median(median_ms(lambda t=t: store.page(search=t, limit=50), 3) for t in terms)

        def scan(term: str) -> None:
            digits = "".join(ch for ch in term if ch.isdigit())
            like = f"%{digits}%"
            reader.execute(
                "SELECT * FROM calls WHERE attempt_id LIKE ? OR call_sid LIKE ? OR from_number LIKE ? "
                "OR to_number LIKE ? OR tags LIKE ? ORDER BY id DESC LIMIT 50",
                [like] * 5,
            ).fetchall()

        scan_ms = statistics.median(median_ms(lambda t=t: scan(t), 1) for t in terms[:5])
        # The dashboard: counted once for a filter, then kept until something is written.
        everything = CallFilter()
        counted_ms = median_ms(lambda: store._summaries.clear() or store.summary(everything), 3)
        kept_ms = median_ms(lambda: store.summary(everything), 25)
        screen = asyncio.run(measure_screen(store, terms))
    finally:
        store.close()
    print(f"history calls={calls} events={events} newest_page_ms={newest:.2f} search_number_ms={search:.2f} "
          f"scan_search_ms={scan_ms:.1f} search_speedup={scan_ms / search:.0f}x screen_open_ms={screen[0]:.1f} "
          f"next_page_ms={screen[1]:.1f} text_search_ms={screen[2]:.1f} summary_counted_ms={counted_ms:.0f} "
          f"summary_kept_ms={kept_ms:.2f} summary_ratio={counted_ms / kept_ms:.0f}x")


async def measure_screen(store: Store, terms: list[str], runs: int = 7) -> tuple[float, float, float]:
    """From the action (the key's) to the page's rows in the table, which the next frame (at most 1/60 s
    later) shows: opening history, the next page, a search entered. Polled with plain sleeps: the pilot's
    own pauses wait for the process to go idle, which the dashboard's sums (a second's read of every call,
    in a thread) would add to every figure."""
    from textual.app import App
    from textual.widgets import DataTable, Input

    from console.ui.screens.history import HistoryScreen

    class Host(App[None]):
        CSS_PATH = ROOT / "console" / "ui" / "console.tcss"

        def action_history(self) -> None:
            self.push_screen(HistoryScreen(store, profiles=[p for p, _ in PROFILES], export_dir=CACHE / "exports",
                                           clock=lambda: datetime.now(UTC)))

    async def until(done) -> float:
        start = time.perf_counter()
        for _ in range(200_000):  # bounded: 20 s at most
            if done():
                return (time.perf_counter() - start) * 1000
            await asyncio.sleep(0.0001)
        raise RuntimeError("the history screen did not show its page")

    opened, nexts, searches = [], [], []
    app = Host()
    async with app.run_test(size=(120, 40)) as pilot:
        for n in range(runs):
            start = time.perf_counter()
            app.action_history()
            await until(lambda: isinstance(app.screen, HistoryScreen) and app.screen.pages_shown >= 1)
            opened.append((time.perf_counter() - start) * 1000)
            screen = app.screen
            table = screen.query_one("#history-table", DataTable)
            first = screen.calls[0].id
            start = time.perf_counter()
            screen.action_next_page()
            await until(lambda: screen.pages_shown >= 2)
            nexts.append((time.perf_counter() - start) * 1000)
            assert screen.calls[0].id < first and table.row_count == len(screen.calls)
            box = screen.query_one("#history-search", Input)
            box.value = terms[n % len(terms)]
            start = time.perf_counter()
            box.post_message(Input.Submitted(box, box.value))
            await until(lambda: screen.pages_shown >= 3)
            searches.append((time.perf_counter() - start) * 1000)
            assert table.row_count >= 1 and screen.filter.text == terms[n % len(terms)]
            app.pop_screen()
            await pilot.pause(0.05)
    log(f"screen runs (ms): open {[round(x) for x in opened]} next {[round(x) for x in nexts]} "
        f"search {[round(x) for x in searches]}")
    return statistics.median(opened), statistics.median(nexts), statistics.median(searches)


if __name__ == "__main__":
    main()
