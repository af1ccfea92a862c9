"""`events-app` subcommands: serve, migrate, seed-demo, create-organiser, create-token, worker, match, badges."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence

from events_app import db
from events_app.errors import ServiceError
from events_app.settings import ConfigError, Settings, configure_settings, load_settings


def _run(settings: Settings, work: Callable[[], Awaitable[object]]) -> object:
    async def runner() -> object:
        await db.init_db(settings.database_url)
        try:
            return await work()
        finally:
            await db.close_db()

    return asyncio.run(runner())


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    asyncio.run(db.migrate_db(settings.database_url))
    print("Migrations applied: the database is up to date.")
    return 0


def cmd_seed_demo(settings: Settings, args: argparse.Namespace) -> int:
    from events_app.demo.service import DEMO_CHECKIN, DEMO_ORGANISER, seed_demo

    if settings.is_https and not args.force:
        print("Refusing to load demo data on an https site (use --force if you mean it).", file=sys.stderr)
        return 2
    loaded = _run(settings, seed_demo)
    print("Demo data loaded." if loaded else "Database already has events: demo data not loaded.")
    print(f"Organiser demo login: {DEMO_ORGANISER[0]} / {DEMO_ORGANISER[1]}  ({settings.base_url}/login)")
    print(f"Check-in demo login:  {DEMO_CHECKIN[0]} / {DEMO_CHECKIN[1]}  ({settings.base_url}/checkin)")
    return 0


def _read_password() -> str:
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("Password: ")
    return sys.stdin.readline().rstrip("\r\n")


def cmd_create_organiser(settings: Settings, args: argparse.Namespace) -> int:
    from events_app.auth.models import Role
    from events_app.auth.service import create_user

    password = _read_password()
    user = _run(settings, lambda: create_user(email=args.email, password=password, role=Role(args.role)))
    print(f"Created {args.role} account {user.email}.")  # type: ignore[attr-defined]
    return 0


def cmd_create_token(settings: Settings, args: argparse.Namespace) -> int:
    from events_app.auth.service import create_api_token

    print(_run(settings, lambda: create_api_token(email=args.email, label=args.label)))
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from events_app.notifications.mailer import mailer_for
    from events_app.notifications.worker import run_sender

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await db.init_db(settings.database_url)
        try:
            print(f"Outbox sender running ({settings.smtp.scheme}); Ctrl+C stops it.", flush=True)
            await run_sender(mailer=mailer_for(settings.smtp), stop=stop, interval=args.interval)
        finally:
            await db.close_db()

    asyncio.run(main())
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    if args.workers > 1 and settings.is_sqlite:
        print("SQLite supports one server process: use --workers 1, or PostgreSQL.", file=sys.stderr)
        return 2
    if args.with_worker and args.workers > 1:
        print("--with-worker runs the sender inside a single process: use --workers 1 and `events-app worker`.", file=sys.stderr)
        return 2
    if args.with_worker:
        from events_app.main import create_app

        app = create_app(settings, run_worker=True)
        uvicorn.run(app, host=args.host, port=args.port, proxy_headers=True, log_level=args.log_level)
        return 0
    uvicorn.run(
        "events_app.main:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        log_level=args.log_level,
    )
    return 0


def cmd_match(args: argparse.Namespace) -> int:
    """Twinning matcher on a JSON file: no database, no settings (see events_app.twinning.cli_match)."""
    from events_app.twinning.cli_match import run_match

    try:
        return run_match(source=args.input, output=args.output, progress=args.progress)
    except KeyboardInterrupt:
        print("events-app match: interrupted, nothing written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of stdout went away (e.g. `| head`): silence the final flush.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def cmd_badges(settings: Settings, args: argparse.Namespace) -> int:
    """Badge PDF of an event (see events_app.badges.cli)."""
    from events_app.badges.cli import run_badges

    try:
        return run_badges(settings, slug=args.slug, output=args.output, layout=args.layout, role=args.role,
                          not_printed=args.not_printed, since=args.since, mark=args.mark_printed,
                          progress=args.progress)
    except KeyboardInterrupt:
        print("events-app badges: interrupted, nothing written", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="events-app", description="EcoProcura network events")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--with-worker", action="store_true", help="also run the email sender in this process")
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    seed = sub.add_parser("seed-demo", help="load demo data into an empty database")
    seed.add_argument("--force", action="store_true")
    seed.set_defaults(func=cmd_seed_demo)

    organiser = sub.add_parser("create-organiser", help="create an account (password from stdin)")
    organiser.add_argument("email")
    organiser.add_argument("--role", choices=["admin", "organiser", "checkin"], default="organiser")
    organiser.set_defaults(func=cmd_create_organiser)

    token = sub.add_parser("create-token", help="print a new API token for an account")
    token.add_argument("email")
    token.add_argument("--label", default="")
    token.set_defaults(func=cmd_create_token)

    worker = sub.add_parser("worker", help="send queued emails (runs until stopped)")
    worker.add_argument("--interval", type=float, default=1.0)
    worker.set_defaults(func=cmd_worker)

    match = sub.add_parser("match", help="pair twinning candidates from a JSON file (no database)",
                           description="Pair twinning candidates: read INPUT.json, write the pairs as JSON.")
    match.add_argument("input", metavar="INPUT.json", help="input document, or - for standard input")
    match.add_argument("-o", "--output", metavar="OUT.json", help="write here (atomically) instead of standard output")
    match.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                       help="progress bar on standard error (default: on a terminal above 200 candidates)")
    match.set_defaults(func=cmd_match, standalone=True)

    badges = sub.add_parser("badges", help="print an event's badges to a PDF file",
                            description="Print the badges of an event's confirmed registrations, sorted by surname.")
    badges.add_argument("slug", metavar="SLUG", help="the event")
    badges.add_argument("-o", "--output", metavar="FILE.pdf", help="the PDF to write (atomically)")
    badges.add_argument("--layout", default="a6", help="a6 (one per page), a4-4up (four per A4, cut marks) "
                        "or fold (fold-over, sessions on the back)")
    badges.add_argument("--role", help="only this role: participant, speaker, organiser, staff or press")
    badges.add_argument("--not-printed", action="store_true", help="only badges not yet marked as printed")
    badges.add_argument("--since", metavar="YYYY-MM-DD", help="only registrations confirmed since this day")
    badges.add_argument("--mark-printed", action="store_true", help="mark these badges as printed once written")
    badges.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress bar on standard error (default: on a terminal above 200 badges)")
    badges.set_defaults(func=cmd_badges)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "standalone", False):  # needs no settings, database or var/ folder
        return int(args.func(args))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = configure_settings(load_settings())
        return int(args.func(settings, args))
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except ServiceError as exc:
        detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
        print(f"error: {exc.message}{' (' + detail + ')' if detail else ''}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
