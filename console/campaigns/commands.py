"""`vgconsole campaign ...` and `vgconsole dnc ...`: campaigns from a terminal (so far: `plan`, the dry
run) and the do-not-call list they honour."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

if TYPE_CHECKING:
    from console.cli import _Ctx


@click.group()
def campaign() -> None:
    """Campaigns: a list of people dialled at a safe pace within their own calling hours."""


@campaign.command("plan")
@click.argument("callees", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--hours", "window", default="09:00-20:00", show_default=True,
              help="The daily calling window, in each callee's own time zone.")
@click.option("--days", default="mon-fri", show_default=True, help="Days it applies: mon-fri, mon,wed,sat, all.")
@click.option("--per-minute", type=click.FloatRange(min=0.1, max=600), default=10, show_default=True,
              help="Calls started per minute at most.")
@click.option("--start", "start_at", metavar="WHEN", help="When the campaign would start (default: now; a time "
                                                            "is read in the zone times are shown in).")
@click.option("--region", help="Country of numbers written without +CC (default: the default profile's, or "
                               "default_region).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per callee.")
@click.pass_obj
def plan(c: _Ctx, /, callees: Path, window: str, days: str, per_minute: float, start_at: str | None,
         region: str | None, as_json: bool) -> None:
    """Who would be called when, from the CSV or TSV file CALLEES (a header with a number column; any
    other columns; a timezone column wins over the number's own zones). Nothing is dialled.

    A number in several time zones is called only while the hours are open in all of them. Every bad row
    is reported with its line; a file with one is not planned."""
    from console.callfilter import FilterError, parse_when
    from console.campaigns.callees import read_callees
    from console.campaigns.hours import CallingHours, HoursError
    from console.campaigns.plan import schedule

    settings = c.settings()
    zone = settings.ui.zone()
    try:
        hours = CallingHours.parse(window, days)
    except HoursError as exc:
        raise click.UsageError(str(exc)) from None
    if not math.isfinite(per_minute):
        raise click.BadParameter("a number of calls a minute, such as 10", param_hint="--per-minute")
    now = datetime.now(UTC)
    try:
        start = parse_when(start_at, now, field="--start", zone=zone) if start_at else now
    except (FilterError, ValueError, OverflowError) as exc:
        raise click.BadParameter(f"{start_at!r} is not a time: write 2026-12-04 09:00 ({exc})",
                                 param_hint="--start") from None
    if start < now - timedelta(minutes=1) or start > now + timedelta(days=366):
        raise click.BadParameter(f"{zone.of(start):%Y-%m-%d %H:%M} {zone.label(start)} is "
                                 f"{'in the past' if start < now else 'more than a year away'}: a campaign starts "
                                 "from now on, within a year", param_hint="--start")
    found = read_callees(read_limited(callees), number_region(settings, region))
    if found.problems:
        click.echo(f"vgconsole: {callees}: {len(found.problems)} row(s) cannot be used; nothing was planned:",
                   err=True)
        for problem in found.problems:
            click.echo(f"  {printable(str(problem))}", err=True)
        raise SystemExit(1)
    with c.store(settings, reads_only=True) as store:  # checked again before every attempt, once dialling
        listed = {d.number for d in store.do_not_call([callee.number for callee in found.callees])}
    to_call = [callee for callee in found.callees if callee.number not in listed]
    slots = schedule(to_call, hours, start, per_minute)
    if as_json:
        for s in slots:
            row: dict[str, Any] = {"line": s.callee.line, "number": s.callee.number, "zones": list(s.zones),
                                   "at": s.at.astimezone(UTC).isoformat().replace("+00:00", "Z") if s.at else None}
            if s.why:
                row["never"] = s.why
            click.echo(json.dumps(row))
        for number in sorted(listed):
            click.echo(json.dumps({"number": number, "skipped": "on the do-not-call list"}))
        return
    merged = f" ({found.merged} duplicate(s) merged)" if found.merged else ""
    skipped = f", {len(listed)} on the do-not-call list left out" if listed else ""
    click.echo(f"{len(to_call)} callee(s){merged}{skipped}; {hours.describe()}; at most {per_minute:g} a minute")
    label = zone.label(start)
    click.echo(f"{'line':>5}  {'number':16}  {('when (' + label + ')'):19}  {'their time':16}  zones")
    for s in slots:
        if s.at is None:
            click.echo(f"{s.callee.line:>5}  {s.callee.number:16}  {'never':19}  {'':16}  {s.why}")
            continue
        when = f"{zone.of(s.at):%Y-%m-%d %H:%M:%S}"
        theirs = f"{s.at.astimezone(ZoneInfo(s.zones[0])):%a %H:%M %Z}"  # in the first of its zones
        where = s.zones[0] if len(s.zones) == 1 else f"{len(s.zones)} zones: {', '.join(s.zones[:3])}…"
        click.echo(f"{s.callee.line:>5}  {s.callee.number:16}  {when:19}  {theirs:16}  {where}")
    planned = [s.at for s in slots if s.at is not None]
    if planned:
        click.echo(f"first call {zone.of(min(planned)):%Y-%m-%d %H:%M} {label}, last "
                   f"{zone.of(max(planned)):%Y-%m-%d %H:%M} {label}; {len(slots) - len(planned)} never")



@click.group("dnc")
def do_not_call() -> None:
    """The do-not-call list: numbers campaigns never dial (kept in history)."""


def number_region(settings: Any, region: str | None) -> str:
    """The country a number written without +CC is read in: --region, else the default profile's, else
    default_region. One rule for the callee lists and the do-not-call list, so the same digits are the same
    number in both."""
    from console.phone import check_region

    if region is not None:
        try:
            return check_region(region)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--region") from None
    profile = settings.profiles.get(settings.default_profile or "")
    return str((profile.region if profile is not None else None) or settings.default_region)


def read_limited(path: Path) -> bytes:
    """The file, or as much of it as shows it is over the callee list's size limit (never all of /dev/zero)."""
    from console.campaigns.callees import MAX_BYTES

    try:
        with path.open("rb") as fh:
            return fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from None


def printable(text: str) -> str:
    """Text as a terminal should print it: a control character (an escape sequence's start) as '?'."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _numbers(texts: tuple[str, ...], region: str) -> list[str]:
    from console.phone import PhoneNumberError, to_e164

    numbers = []
    for text in texts:
        try:
            numbers.append(to_e164(text, region))
        except PhoneNumberError as exc:
            raise click.BadParameter(str(exc), param_hint="NUMBER") from None
    return numbers


REGION = click.option("--region", help="Country of numbers written without +CC (default: the default profile's, "
                                      "or default_region: as campaign plan reads them).")
REASON = click.option("--reason", callback=lambda _c, _p, v: _reason(v), help="Why (kept with each number; at "
                                                                             "most 500 characters).")


def _reason(text: str | None) -> str | None:
    if text is not None and len(text) > 500:
        raise click.BadParameter(f"{len(text):,} characters; at most 500", param_hint="--reason")
    return text


@do_not_call.command("add")
@click.argument("numbers", nargs=-1, required=True, metavar="NUMBER...")
@REASON
@REGION
@click.pass_obj
def dnc_add(c: _Ctx, /, numbers: tuple[str, ...], reason: str | None, region: str | None) -> None:
    """Put numbers on the list."""
    import asyncio

    settings = c.settings()
    checked = list(dict.fromkeys(_numbers(numbers, number_region(settings, region))))  # the same one twice: once
    with c.store(settings) as store:
        new = asyncio.run(store.add_do_not_call(checked, reason=reason, source="command line"))
    click.echo(f"{new} number(s) added to the do-not-call list ({len(checked) - new} already on it)")


@do_not_call.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="FILE")
@REASON
@REGION
@click.pass_obj
def dnc_import(c: _Ctx, /, path: Path, reason: str | None, region: str | None) -> None:
    """Put every number of a CSV or TSV file (a header with a number column) on the list; a file with a
    bad row adds nothing."""
    import asyncio

    from console.campaigns.callees import read_callees

    settings = c.settings()
    found = read_callees(read_limited(path), number_region(settings, region))
    if found.problems:
        click.echo(f"vgconsole: {path}: {len(found.problems)} row(s) cannot be used; nothing was added:", err=True)
        for problem in found.problems:
            click.echo(f"  {printable(str(problem))}", err=True)
        raise SystemExit(1)
    with c.store(settings) as store:
        new = asyncio.run(store.add_do_not_call([x.number for x in found.callees], reason=reason,
                                                source=f"file {path.name}"))
    click.echo(f"{new} number(s) added to the do-not-call list ({len(found.callees) - new} already on it)")


@do_not_call.command("remove")
@click.argument("numbers", nargs=-1, required=True, metavar="NUMBER...")
@REGION
@click.pass_obj
def dnc_remove(c: _Ctx, /, numbers: tuple[str, ...], region: str | None) -> None:
    """Take numbers off the list."""
    import asyncio

    settings = c.settings()
    checked = _numbers(numbers, number_region(settings, region))
    with c.store(settings) as store:
        gone = asyncio.run(store.remove_do_not_call(checked))
    click.echo(f"{gone} number(s) taken off the do-not-call list")


@do_not_call.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def dnc_list(c: _Ctx, /, as_json: bool) -> None:
    """Every number on the list, with why and where it came from."""
    settings = c.settings()
    with c.store(settings, reads_only=True) as store:
        listed = store.do_not_call()
    if as_json:
        click.echo(json.dumps([vars(d) for d in listed], indent=2, ensure_ascii=False))
        return
    zone = settings.ui.zone()
    for d in listed:
        added = datetime.fromisoformat(d.added_at)
        click.echo(f"{d.number:16}  {zone.of(added):%Y-%m-%d %H:%M} {zone.label(added)}  {printable(d.source):20}  "
                   f"{printable(d.reason or '')}")
    click.echo(f"{len(listed)} number(s) on the do-not-call list")
