"""`events-app badges SLUG -o FILE.pdf`: print an event's badges to a PDF file.

Options: ``--layout a6|a4-4up|fold`` (default a6, see layouts.py), ``--role ROLE`` (participant,
speaker, organiser, staff, press), ``--not-printed`` (only badges never marked as printed),
``--since YYYY-MM-DD`` (confirmed on or after that day, in the event's zone),
``--mark-printed`` (after the file is written, mark these badges as printed) and
``--progress/--no-progress`` (a bar on standard error; default: on a terminal above
``PROGRESS_THRESHOLD`` badges).

Bad input (unknown event, layout, role or date, an unusable output path) prints one line on
standard error, ``events-app badges: <field>: <message>``, exits with status 2 and writes
nothing. When no badge matches the filters, nothing is written either (one line, status 1).
The PDF goes to a temporary file beside FILE and is renamed over it only when complete.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import date
from typing import TextIO

from events_app import db
from events_app.badges.layouts import LAYOUTS
from events_app.badges.service import get_badge_settings, mark_printed, render_badges, select_badges
from events_app.badges.service import parse_since as parse_since_day
from events_app.errors import ServiceError
from events_app.events.models import Event
from events_app.registration.models import BadgeRole
from events_app.settings import Settings
from events_app.twinning.cli_match import (
    MatchCommandError as CommandError,  # "<field>: <message>" on one line
)
from events_app.twinning.cli_match import (
    ProgressBar,
    _isatty,
    _one_line,
    check_output_target,
    write_atomically,
)

PROG = "events-app badges"
PROGRESS_THRESHOLD = 200
EXIT_OK, EXIT_NOTHING, EXIT_BAD_INPUT = 0, 1, 2


def parse_since(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return parse_since_day(value)
    except ValueError:
        raise CommandError("--since", f"{value!r} is not a date from 2000 to 2199: use YYYY-MM-DD") from None


def check_arguments(*, output: str | None, layout: str, role: str | None) -> None:
    if layout not in LAYOUTS:
        raise CommandError("--layout", f"{layout!r} is not a layout: use one of {', '.join(LAYOUTS)}")
    roles = [r.value for r in BadgeRole]
    if role is not None and role not in roles:
        raise CommandError("--role", f"{role!r} is not a badge role: use one of {', '.join(roles)}")
    if not output or output == "-":
        raise CommandError("-o", "give the PDF file to write, e.g. -o badges.pdf")
    check_output_target(output)


def run_badges(settings: Settings, *, slug: str, output: str | None, layout: str = "a6",
               role: str | None = None, not_printed: bool = False, since: str | None = None,
               mark: bool = False, progress: bool | None = None, stdout: TextIO | None = None,
               stderr: TextIO | None = None) -> int:
    """Run the command; returns the exit status (0 written, 1 nothing matched, 2 bad input)."""
    stdout = stdout if stdout is not None else sys.stdout
    stderr = stderr if stderr is not None else sys.stderr
    bar: ProgressBar | None = None

    async def work() -> int:
        nonlocal bar
        event = await Event.filter(slug=slug).first()
        if event is None:
            raise CommandError(slug, "no event with this slug")
        badges = await select_badges(event, role=role, not_printed=not_printed, since=parse_since(since))
        if not badges:
            stderr.write(f"{PROG}: no badge matches these filters; nothing written\n")
            return EXIT_NOTHING
        settings_row = await get_badge_settings(event)
        tty = _isatty(stderr)
        if progress if progress is not None else (tty and len(badges) > PROGRESS_THRESHOLD):
            bar = ProgressBar(stderr, tty=tty)
            bar.message(f"Rendering {len(badges)} badges ({layout}) for {event.title}.")
        callback = None if bar is None else (lambda done, total: bar("rendering", done / total))
        pdf = await asyncio.to_thread(render_badges, badges, settings_row, layout, callback)
        assert output is not None
        try:
            write_atomically(output, pdf)
        except OSError as exc:
            raise CommandError(output, f"cannot write ({exc.strerror or exc})") from None
        if bar is not None:
            bar.close()
        stdout.write(f"Wrote {len(badges)} badges ({layout}) to {output}.\n")
        if mark:
            changed = await mark_printed([b.id for b in badges])
            stdout.write(f"Marked {changed} badges as printed.\n")
        return EXIT_OK

    async def runner() -> int:
        await db.init_db(settings.database_url)
        try:
            return await work()
        finally:
            await db.close_db()

    try:
        parse_since(since)  # checked before touching the database
        check_arguments(output=output, layout=layout, role=role)
        return asyncio.run(runner())
    except (CommandError, ServiceError) as exc:
        if bar is not None:
            bar.close()
        message = exc.message if isinstance(exc, ServiceError) else str(exc)
        if isinstance(exc, ServiceError) and exc.fields:
            message = "; ".join(f"{key}: {value}" for key, value in exc.fields.items())
        stderr.write(f"{PROG}: {_one_line(message)}\n")
        stderr.flush()
        return EXIT_BAD_INPUT
