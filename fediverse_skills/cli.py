"""The command line: ``fediverse-skills serve | worker | migrate | create-user | token | trust``.

Mistakes (bad arguments, bad settings, bad names) print one line and exit 2. Failures of the
environment (database unreachable, port in use) print one line and exit 1. Never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import gc
import getpass
import logging
import signal
import socket
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from . import __version__
from .config import ConfigError, Settings, ensure_secret_key, load_settings
from .domain.passwords import WeakPassword
from .domain.usernames import InvalidUsername
from .logs import configure_logging
from .services import accounts, tokens, trust
from .store.db import Database, DatabaseUnavailable
from .store.migrations import NotMigrated, ensure_migrated, upgrade

PROG = "fediverse-skills"
EXIT_MISTAKE = 2
EXIT_FAILURE = 1

log = logging.getLogger("fediverse_skills.cli")


class CommandError(Exception):
    """A failure to report as one line; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


# ---------------------------------------------------------------------------- helpers


async def open_database(settings: Settings, *, migrate_sqlite: bool) -> Database:
    """Open and check the database. An embedded SQLite database is migrated on the spot;
    PostgreSQL must have been migrated with ``fediverse-skills migrate``."""
    db = Database.open(settings.database_url)
    try:
        await db.ping()
        if migrate_sqlite and db.is_sqlite:
            before, after = await upgrade(db)
            if before != after:
                log.info("migrated the SQLite database to %s", ", ".join(sorted(after)))
        else:
            await ensure_migrated(db)
    except BaseException:
        await db.close()
        raise
    return db


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind the listening socket ourselves, so a busy port is reported before anything
    else happens."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CommandError(f"cannot listen on {host!r}: {exc.strerror}", EXIT_MISTAKE) from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this on Linux. Without it, a response written as headers
    # then body waits for the peer's delayed ACK (Nagle): about 40 ms per request.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise CommandError(
                f"port {port} on {host} is already in use; stop the program using it "
                f"or choose another with --port"
            ) from None
        if exc.errno == errno.EACCES:
            raise CommandError(
                f"not allowed to listen on port {port}; choose a port above 1023 with --port"
            ) from None
        raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


async def _until_signalled(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


# ---------------------------------------------------------------------------- commands


async def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn  # imported here: only `serve` needs it

    from .app import create_app

    host = args.host or settings.host
    port = args.port or settings.port
    sock = bind_socket(host, port)
    try:
        db = await open_database(settings, migrate_sqlite=True)
        await db.close()
        settings = ensure_secret_key(settings)
        app = create_app(settings)
        config = uvicorn.Config(
            app,
            log_config=None,
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=10,
            lifespan="on",
        )
        server = uvicorn.Server(config)
        # Objects made at start-up live as long as the process: keep them out of the cyclic
        # collector's scans, which otherwise revisit them on every full collection.
        gc.collect()
        gc.freeze()
        log.info("serving %s on http://%s:%d", settings.base_url, host, port)
        await server.serve(sockets=[sock])
        if not server.started:
            raise CommandError("the server did not start; see the log above")
    finally:
        sock.close()
    return 0


async def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from .app import open_federation
    from .worker import Worker, federation_sources

    db = await open_database(settings, migrate_sqlite=False)
    stop = asyncio.Event()
    await _until_signalled(stop)
    try:
        fed, client = await open_federation(settings, db)
        try:
            worker = Worker(db, federation_sources(fed))
            if args.once:
                await worker.run_once()
                return 0
            await worker.run(stop)
        finally:
            await client.aclose()
    finally:
        await db.close()
    return 0


async def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    db = Database.open(settings.database_url)
    try:
        await db.ping()
        before, after = await upgrade(db)
    finally:
        await db.close()
    if before == after:
        print(f"The database is up to date (revision {', '.join(sorted(after))}).")
    else:
        print(
            f"Migrated the database from {', '.join(sorted(before)) or 'empty'} "
            f"to {', '.join(sorted(after))}."
        )
    return 0


def _read_password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CommandError(
                "--password-stdin was given but standard input is empty", EXIT_MISTAKE
            )
        return line.rstrip("\r\n")
    if sys.stdin.isatty():
        first = getpass.getpass("Password (empty for none): ")
        if not first:
            return None
        if getpass.getpass("Password again: ") != first:
            raise CommandError("the passwords do not match", EXIT_MISTAKE)
        return first
    return None


async def cmd_create_user(settings: Settings, args: argparse.Namespace) -> int:
    password = _read_password(args)
    db = await open_database(settings, migrate_sqlite=True)
    try:
        user = await accounts.create_user(db, args.name, password=password, admin=args.admin)
    except accounts.UsernameTaken:
        raise CommandError(f"the username {args.name.lower()!r} is taken", EXIT_MISTAKE) from None
    finally:
        await db.close()
    role = "admin" if user.is_admin else "user"
    note = "" if user.password_hash else " (no password: it can use API tokens only)"
    print(f"Created {role} @{user.username}@{settings.host_name}{note}.")
    return 0


async def cmd_token_create(settings: Settings, args: argparse.Namespace) -> int:
    try:
        scopes = tokens.parse_scopes(args.scope)
    except tokens.InvalidScopes as exc:
        raise CommandError(str(exc), EXIT_MISTAKE) from None
    db = await open_database(settings, migrate_sqlite=True)
    try:
        issued = await tokens.create_token(db, args.name, args.label or "", scopes)
    except tokens.UnknownUser:
        raise CommandError(f"there is no user named {args.name!r}", EXIT_MISTAKE) from None
    finally:
        await db.close()
    print(
        f"Token {issued.id} for @{issued.user.username}, scopes {','.join(issued.scopes)} "
        "(shown once; store it safely):",
        file=sys.stderr,
    )
    print(issued.token)
    return 0


async def cmd_token_revoke(settings: Settings, args: argparse.Namespace) -> int:
    db = await open_database(settings, migrate_sqlite=True)
    try:
        revoked = await tokens.revoke(db, args.id)
    finally:
        await db.close()
    if not revoked:
        raise CommandError(f"there is no active token {args.id}", EXIT_MISTAKE)
    print(f"Revoked token {args.id}.", file=sys.stderr)
    return 0


def _progress(step: str, done: int, total: int) -> None:
    """A one-line progress bar on standard error (redrawn in place on a terminal)."""
    width = 30
    filled = width * done // max(total, 1)
    line = f"{step:<20} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
    end = "\n" if done >= total else ""
    if sys.stderr.isatty():
        print("\r" + line, end=end, file=sys.stderr, flush=True)
    elif done >= total:
        print(line, file=sys.stderr)


async def cmd_trust_recompute(settings: Settings, args: argparse.Namespace) -> int:
    from .app import open_federation  # the wiring; imported here to keep startup light

    db = await open_database(settings, migrate_sqlite=True)
    try:
        fed, client = await open_federation(settings, db)
        try:
            report = await trust.recompute(fed, _progress)
        finally:
            await client.aclose()
            await fed.close()
    finally:
        await db.close()
    print(
        f"Trust recomputed in {report.seconds:.2f}s: {report.people} people, "
        f"{report.edges} edges, {report.skills} skills on {report.profiles} local profiles."
    )
    for person, skill, score in report.strongest:
        print(f"  {person:<40} {skill:<30} {score:8.2f}")
    return 0


# ---------------------------------------------------------------------------- parser


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_MISTAKE, f"{self.prog}: error: {message}\n")


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"a port is between 1 and 65535, not {value}")
    return value


Command = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="A federated, co-created skills profile on ActivityPub. "
        "Settings come from FEDSKILLS_* environment variables "
        "(see docs/configuration.md).",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    serve = sub.add_parser(
        "serve",
        help="run the web server (and, on SQLite, the worker)",
        description="Run the web server. On SQLite it also migrates the "
        "database and runs the background worker in the same process.",
    )
    serve.add_argument("--host", help="address to listen on (default FEDSKILLS_HOST or 127.0.0.1)")
    serve.add_argument(
        "--port", type=_port, help="port to listen on (default FEDSKILLS_PORT or 8000)"
    )
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser(
        "worker",
        help="run a background worker process",
        description="Run a background worker that drains the durable "
        "queues. Run several on PostgreSQL.",
    )
    worker.add_argument("--once", action="store_true", help="run one pass and exit")
    worker.set_defaults(func=cmd_worker)

    migrate = sub.add_parser(
        "migrate",
        help="bring the database schema up to date",
        description="Run all pending migrations (alembic upgrade head).",
    )
    migrate.set_defaults(func=cmd_migrate)

    create = sub.add_parser(
        "create-user",
        help="create a local account",
        description="Create a local account with fresh signing keys.",
    )
    create.add_argument("name", help="username: letters a-z, digits and _ (at most 30)")
    create.add_argument("--admin", action="store_true", help="make the account an admin")
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )
    create.set_defaults(func=cmd_create_user)

    token = sub.add_parser(
        "token", help="manage API tokens", description="Manage bearer tokens for the JSON API."
    )
    token_sub = token.add_subparsers(dest="token_command", metavar="ACTION", parser_class=_Parser)
    token_sub.required = True
    token_create = token_sub.add_parser(
        "create",
        help="print a new bearer token for a user",
        description="Create a bearer token for NAME and print it on standard output (shown once).",
    )
    token_create.add_argument("name", help="the user the token acts for")
    token_create.add_argument("--label", help="a note to recognise the token by")
    token_create.add_argument(
        "--scope",
        default="read,write",
        help="what the token may do: read (GET), write (POST, PATCH, PUT, DELETE) or "
        "read,write (the default); write does not imply read",
    )
    token_create.set_defaults(func=cmd_token_create)
    token_revoke = token_sub.add_parser(
        "revoke",
        help="revoke a token by its number",
        description="Revoke the token with number ID (printed by token create). Requests "
        "with it are refused from then on.",
    )
    token_revoke.add_argument("id", type=int, help="the token's number")
    token_revoke.set_defaults(func=cmd_token_revoke)

    trust_parser = sub.add_parser(
        "trust", help="trust scores", description="Work with the trust graph and its scores."
    )
    trust_sub = trust_parser.add_subparsers(
        dest="trust_command", metavar="ACTION", parser_class=_Parser
    )
    trust_sub.required = True
    recompute = trust_sub.add_parser(
        "recompute",
        help="rebuild the trust graph and score every local profile",
        description="Rebuild the trust graph from the database and score every local "
        "profile from this instance's view, with a progress bar; prints the strongest "
        "skills. Running servers pick up changes on their own within 30 seconds.",
    )
    recompute.set_defaults(func=cmd_trust_recompute)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format)
        func: Command = args.func
        return _run(func(settings, args), fast_loop=func is cmd_serve)
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}", EXIT_MISTAKE)
    except (InvalidUsername, WeakPassword) as exc:
        return _fail(str(exc), EXIT_MISTAKE)
    except CommandError as exc:
        return _fail(str(exc), exc.code)
    except DatabaseUnavailable as exc:
        return _fail(
            f"{exc}; check FEDSKILLS_DATABASE_URL and that the database server is running",
            EXIT_FAILURE,
        )
    except NotMigrated as exc:
        return _fail(str(exc), EXIT_FAILURE)
    except KeyboardInterrupt:
        return 130


def _run(coro: Coroutine[Any, Any, int], *, fast_loop: bool) -> int:
    """Run a command; the server runs on uvloop (installed with uvicorn[standard])."""
    if fast_loop:
        try:
            import uvloop
        except ImportError:  # pragma: no cover - uvicorn[standard] brings it
            pass
        else:
            return uvloop.run(coro)
    return asyncio.run(coro)


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
