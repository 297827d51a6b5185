"""One receiver per host and history: the first process owns the port, the others share it and follow
history, and one of them takes the port over when the owner stops."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from console.calls import DialRequest
from console.config import DEMO_APPLICATION_SID, Settings, load_settings
from console.feed import HistoryFeed
from console.providers import Provider
from console.receiver_state import ReceiverState
from console.records import Ingested
from console.services import Services
from console.status import CallEvent, CallStatus, EventKind, EventSource
from console.store import Store

KEY = b"the host's receiver key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """What one vgconsole process holds: its own store connection and services, and what it was shown."""

    def __init__(self, settings: Settings, db: Path, key: bytes = KEY):
        self.store = Store(db)
        self.services = Services.build(settings, self.store, key=key, speed=500)
        self.seen: list[tuple[int | None, CallEvent, Ingested]] = []
        self.services.on_event = lambda event, ingested: self.seen.append((ingested.event_id, event, ingested))
        self.changes = 0
        self.services.on_state = self._changed

    def _changed(self) -> None:
        self.changes += 1

    async def stop(self) -> None:
        await self.services.stop()
        self.store.close()

    def final_of(self, attempt: str) -> CallStatus | None:
        ends = [
            i.call.status for _, _, i in self.seen if i.call and i.call.attempt_id == attempt and i.call.status.final
        ]
        return ends[-1] if ends else None


@pytest.fixture
async def host(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    settings = load_settings(receiver={"port": free_port()})
    started: list[Process] = []

    async def start(db: Path = tmp_path / "shared.db", **kw: Any) -> Process:
        process = Process(settings, db, **kw)
        await process.services.start()
        started.append(process)
        return process

    yield start
    for process in started:
        await process.stop()


def call_to(number: str) -> DialRequest:
    return DialRequest.build({"provider": "cognigy", "from": "+12125550100", "application_sid": DEMO_APPLICATION_SID,
                              "to": {"type": "phone", "number": number}}, region="US")


async def until(predicate: Callable[[], object], timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


async def test_a_second_process_shares_the_owners_receiver_and_both_see_every_event_once(host) -> None:
    owner, other = await host(), await host()
    assert owner.services.receiver.state is ReceiverState.LISTENING
    assert other.services.receiver.state is ReceiverState.SHARED and other.services.receiver.owner_pid == os.getpid()
    assert other.services.receiver.hook_urls.public_url == owner.services.receiver.hook_urls.public_url
    assert not other.services.reconciling and owner.services.reconciling  # one process settles overdue calls
    # placed by the process that does not own the port, through its own embedded simulator
    placed = (await other.services.dialer.place("demo-cognigy", call_to("+12125550101"))).call
    await until(lambda: owner.final_of(placed.attempt_id) and other.final_of(placed.attempt_id))
    stored = owner.store.events(placed.id)
    assert all(e.verified for e in stored if e.source is EventSource.WEBHOOK)  # the simulator's secret is the host's
    for process in (owner, other):
        ids = [i for i, _, _ in process.seen if i is not None]
        assert len(ids) == len(set(ids))  # each event handed on once
        assert {e.id for e in stored} <= set(ids)  # and every one of them
    assert owner.final_of(placed.attempt_id) is other.final_of(placed.attempt_id) is CallStatus.COMPLETED


async def test_when_the_owner_stops_another_process_takes_the_port_over(host) -> None:
    owner, first, second = await host(), await host(), await host()
    assert first.services.receiver.state is second.services.receiver.state is ReceiverState.SHARED
    await owner.stop()
    await until(lambda: ReceiverState.LISTENING in (first.services.receiver.state, second.services.receiver.state), 5)
    new, left = (first, second) if first.services.receiver.state is ReceiverState.LISTENING else (second, first)
    assert new.changes >= 1 and new.services.reconciling and "reconcile" in new.services._tasks
    await asyncio.sleep(1.5)
    assert left.services.receiver.state is ReceiverState.SHARED  # the port has one owner
    placed = (await left.services.dialer.place("demo-cognigy", call_to("+12125550102"))).call
    await until(lambda: new.final_of(placed.attempt_id) and left.final_of(placed.attempt_id))
    assert left.final_of(placed.attempt_id) is CallStatus.BUSY


async def test_a_port_held_for_another_history_says_so_with_the_fix(host, tmp_path: Path) -> None:
    owner = await host()
    stranger = await host(tmp_path / "other.db")
    receiver = stranger.services.receiver
    assert receiver.state is ReceiverState.PORT_BUSY and receiver.hook_urls is None
    assert receiver.detail == (f"port {receiver.settings.receiver.port} on 127.0.0.1 is held by a vgconsole receiver "
                               f"for another history (pid {os.getpid()}); set another [receiver] port in the config, "
                               "or VGCONSOLE_RECEIVER__PORT")
    assert stranger.services.reconciling  # nobody of its history settles its calls otherwise
    other_key = await host(key=b"another data folder")
    assert other_key.services.receiver.state is ReceiverState.PORT_BUSY
    assert "another receiver key" in other_key.services.receiver.detail
    assert owner.services.receiver.state is ReceiverState.LISTENING


async def test_a_command_finds_the_owner_without_taking_the_port(host, tmp_path: Path) -> None:
    settings = load_settings(receiver={"port": free_port()})
    with Store(tmp_path / "alone.db") as store:
        lone = Services.build(settings, store, key=KEY)
        assert await lone.receiver.locate() is ReceiverState.STOPPED and lone.receiver.hook_urls is None
        assert "no vgconsole receiver listens on 127.0.0.1" in lone.receiver.detail
    owner = await host()
    with Store(tmp_path / "shared.db") as store:
        command = Services.build(owner.services.settings, store, key=KEY)
        assert await command.receiver.locate() is ReceiverState.SHARED
        assert command.gateways.hook_urls.public_url == owner.services.receiver.hook_urls.public_url


async def test_the_feed_hands_each_event_on_once_whichever_path_sees_it_first(tmp_path: Path) -> None:
    with Store(tmp_path / "h.db") as store:
        handed: list[int | None] = []
        feed = HistoryFeed(store, lambda event, ingested: handed.append(ingested.event_id))
        await feed.start()

        def event(n: int) -> CallEvent:
            return CallEvent(profile="p", provider=Provider.JAMBONZ, kind=EventKind.STATUS, call_sid=f"s{n}",
                             status=CallStatus.RINGING, received_at=store._clock(), raw=str(n))

        first, second = event(1), event(2)
        one = await store.ingest(first)
        feed.hand_on(first, one)  # the receiver, at once
        await feed.step()  # history has it too: not again
        two = await store.ingest(second)
        await feed.step()  # history first
        feed.hand_on(second, two)  # the receiver's own hand-on comes late: not again
        duplicate = await store.ingest(second)
        feed.hand_on(second, duplicate)  # a gateway's retry: handed on as a duplicate, once
        assert handed == [one.event_id, two.event_id, None]


def test_the_host_key_is_made_once_whoever_asks_first_and_a_broken_one_is_replaced(tmp_path: Path) -> None:
    import threading

    from console.receiver import load_key

    path = tmp_path / "data" / "receiver.key"
    keys: list[bytes] = []
    threads = [threading.Thread(target=lambda: keys.append(load_key(path))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1 and path.read_text() == keys[0].hex() and oct(path.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in path.parent.iterdir()] == ["receiver.key"]  # nothing staged is left behind
    path.write_text("")  # a first write cut short (a full disk)
    said: list[str] = []
    fresh = load_key(path, said.append)
    assert fresh != keys[0] and len(fresh) == 32 and load_key(path, said.append) == fresh
    assert len(said) == 1 and said[0].startswith(f"{path} held no usable key")
