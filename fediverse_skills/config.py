"""Settings, built once from ``FEDSKILLS_*`` environment variables.

This module is the only place that reads the environment. Everything else
receives a :class:`Settings` explicitly (``create_app(settings)``).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

PREFIX = "FEDSKILLS_"
TEST_PREFIX = "FEDSKILLS_TEST_"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/fediverse-skills.db"
SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(ValueError):
    """A setting is wrong. The message tells the admin what to do."""


@dataclass(frozen=True)
class SettingDoc:
    name: str
    default: str
    help: str


# Every setting, its default as shown to admins, and one line of help.
# docs/configuration.md must mention each name (a test checks).
SETTINGS: tuple[SettingDoc, ...] = (
    SettingDoc(
        "FEDSKILLS_BASE_URL",
        "http://127.0.0.1:8000",
        "Public origin of the instance (scheme, host and optional port; no path).",
    ),
    SettingDoc(
        "FEDSKILLS_DATABASE_URL",
        DEFAULT_DATABASE_URL,
        "SQLAlchemy URL: sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db. "
        "The default SQLite file lives in FEDSKILLS_DATA_DIR.",
    ),
    SettingDoc(
        "FEDSKILLS_SECRET_KEY",
        "(generated into DATA_DIR/secret_key)",
        "Secret for sessions and tokens. Set it explicitly when several machines share a database.",
    ),
    SettingDoc(
        "FEDSKILLS_ALLOW_PRIVATE_ADDRESSES",
        "false",
        "Allow federation with peers on loopback and private addresses (tests, demos).",
    ),
    SettingDoc(
        "FEDSKILLS_DATA_DIR",
        "./data",
        "Directory for the SQLite database, the generated secret key and uploads.",
    ),
    SettingDoc("FEDSKILLS_HOST", "127.0.0.1", "Address `serve` listens on."),
    SettingDoc("FEDSKILLS_PORT", "8000", "Port `serve` listens on."),
    SettingDoc(
        "FEDSKILLS_IN_PROCESS_WORKER",
        "auto",
        "Run the background worker inside `serve`: auto (yes on SQLite, no on PostgreSQL), "
        "true or false.",
    ),
    SettingDoc(
        "FEDSKILLS_UNDO_SECONDS",
        "60",
        "How long a decision on a suggestion made on the web can be undone before it is sent.",
    ),
    SettingDoc(
        "FEDSKILLS_INBOX_RATE_LIMIT",
        "1200",
        "Activities per minute accepted from one remote domain (its registrable domain, so "
        "subdomains share it); 0 switches the limit off.",
    ),
    SettingDoc(
        "FEDSKILLS_API_RATE_LIMIT",
        "300",
        "API requests per minute per token, and per client address for anonymous API "
        "requests and refused (401/403) inbox and API requests; 0 switches it off.",
    ),
    SettingDoc(
        "FEDSKILLS_TRUSTED_PROXIES",
        "",
        "Comma-separated addresses or networks of reverse proxies whose X-Forwarded-For "
        "header names the client; from anyone else the header is ignored.",
    ),
    SettingDoc(
        "FEDSKILLS_AUTHORIZED_FETCH",
        "false",
        "Require an HTTP signature on every ActivityPub GET; then followers-only and direct "
        "objects are served to their audience.",
    ),
    SettingDoc("FEDSKILLS_LOG_LEVEL", "info", "debug, info, warning or error."),
    SettingDoc(
        "FEDSKILLS_LOG_FORMAT", "text", "text (human readable) or json (one object a line)."
    ),
    SettingDoc(
        "FEDSKILLS_ENV_FILE",
        ".env",
        "Optional file of KEY=VALUE lines read before the environment (the environment wins).",
    ),
)

KNOWN_NAMES = frozenset(s.name for s in SETTINGS)

LogFormat = Literal["text", "json"]
WorkerMode = Literal["auto", "true", "false"]


@dataclass(frozen=True)
class Settings:
    base_url: str = "http://127.0.0.1:8000"
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = field(default="", repr=False)
    allow_private_addresses: bool = False
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    port: int = 8000
    in_process_worker: WorkerMode = "auto"
    log_level: str = "info"
    log_format: LogFormat = "text"
    undo_seconds: int = 60
    inbox_rate_limit: int = 1200
    api_rate_limit: int = 300
    trusted_proxies: tuple[str, ...] = ()
    authorized_fetch: bool = False

    def __post_init__(self) -> None:
        for name, limit in (
            ("FEDSKILLS_INBOX_RATE_LIMIT", self.inbox_rate_limit),
            ("FEDSKILLS_API_RATE_LIMIT", self.api_rate_limit),
        ):
            if not 0 <= limit <= 1_000_000:
                raise ConfigError(f"{name} must be between 0 (off) and 1000000, not {limit}")
        object.__setattr__(
            self, "trusted_proxies", tuple(_network(p) for p in self.trusted_proxies)
        )
        if not 0 <= self.undo_seconds <= 3600:
            raise ConfigError("FEDSKILLS_UNDO_SECONDS must be between 0 and 3600")
        object.__setattr__(self, "base_url", normalise_base_url(self.base_url))
        object.__setattr__(self, "database_url", normalise_database_url(self.database_url))
        if self.secret_key and len(self.secret_key) < 32:
            raise ConfigError("FEDSKILLS_SECRET_KEY must be at least 32 characters long")
        if not 0 < self.port < 65536:
            raise ConfigError(f"FEDSKILLS_PORT must be between 1 and 65535, not {self.port}")
        if self.log_level.lower() not in {"debug", "info", "warning", "error"}:
            raise ConfigError(
                f"FEDSKILLS_LOG_LEVEL must be debug, info, warning or error, not {self.log_level!r}"
            )
        object.__setattr__(self, "log_level", self.log_level.lower())
        if self.log_format not in ("text", "json"):
            raise ConfigError(f"FEDSKILLS_LOG_FORMAT must be text or json, not {self.log_format!r}")
        if self.in_process_worker not in ("auto", "true", "false"):
            raise ConfigError(
                "FEDSKILLS_IN_PROCESS_WORKER must be auto, true or false, "
                f"not {self.in_process_worker!r}"
            )

    @property
    def host_name(self) -> str:
        """The host (and port, if not the default one) that names this instance: ``alice@HOST``."""
        return urlsplit(self.base_url).netloc

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def run_worker_in_process(self) -> bool:
        if self.in_process_worker == "auto":
            return self.is_sqlite
        return self.in_process_worker == "true"

    def replace(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def normalise_base_url(value: str) -> str:
    raw = value.strip()
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"FEDSKILLS_BASE_URL must be an http(s) origin such as https://skills.example.org, "
            f"not {value!r}"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ConfigError(
            f"FEDSKILLS_BASE_URL must be an origin only (no path, query or user), not {value!r}"
        )
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"FEDSKILLS_BASE_URL has an invalid port: {value!r}") from None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    default_port = 443 if parts.scheme == "https" else 80
    netloc = host if port in (None, default_port) else f"{host}:{port}"
    return f"{parts.scheme}://{netloc}"


def normalise_database_url(value: str) -> str:
    raw = value.strip()
    scheme, sep, rest = raw.partition("://")
    if not sep:
        raise ConfigError(
            "FEDSKILLS_DATABASE_URL must look like sqlite+aiosqlite:///./data/db.sqlite or "
            f"postgresql+asyncpg://user@host/dbname, not {value!r}"
        )
    scheme = scheme.lower()
    if scheme in ("sqlite", "sqlite+aiosqlite"):
        return f"sqlite+aiosqlite://{rest}"
    if scheme in ("postgres", "postgresql", "postgresql+asyncpg"):
        if not rest.split("?", 1)[0].rstrip("/").count("/"):
            raise ConfigError(f"FEDSKILLS_DATABASE_URL names no database: {value!r}")
        return f"postgresql+asyncpg://{rest}"
    raise ConfigError(
        f"FEDSKILLS_DATABASE_URL uses an unsupported driver {scheme!r}; "
        "use sqlite+aiosqlite:// or postgresql+asyncpg://"
    )


def _network(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise ConfigError(
            "FEDSKILLS_TRUSTED_PROXIES must list IP addresses or networks such as 127.0.0.1 "
            f"or 10.0.0.0/8, not {value!r}"
        ) from None


def _number(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {value!r}") from None


def parse_bool(name: str, value: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def read_env_file(path: Path) -> dict[str, str]:
    """Read KEY=VALUE lines; ``#`` comments, blank lines and optional quotes are allowed."""
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return values
    except OSError as exc:
        raise ConfigError(f"cannot read env file {path}: {exc.strerror}") from None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("export "):
            stripped = stripped[len("export ") :]
        key, sep, val = stripped.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{path}:{number}: expected KEY=VALUE")
        val = val.strip()
        if len(val) >= 2 and val[0] == val[-1] and val[0] in "\"'":
            val = val[1:-1]
        values[key.strip()] = val
    return values


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the one Settings object from the environment (and an optional .env file).

    If no secret key is configured, one is generated and stored in
    ``DATA_DIR/secret_key`` (mode 0600) so that restarts keep it.
    """
    env = dict(os.environ if environ is None else environ)
    env_file = Path(env.get("FEDSKILLS_ENV_FILE", ".env"))
    merged = {**read_env_file(env_file), **env}
    # FEDSKILLS_TEST_* variables belong to the test suite, not to the application.
    values = {
        k: v for k, v in merged.items() if k.startswith(PREFIX) and not k.startswith(TEST_PREFIX)
    }
    unknown = sorted(set(values) - KNOWN_NAMES)
    if unknown:
        raise ConfigError(f"unknown setting {unknown[0]}; see docs/configuration.md for the list")

    def get(name: str, default: str) -> str:
        return values.get(PREFIX + name, default)

    port_text = get("PORT", "8000")
    try:
        port = int(port_text)
    except ValueError:
        raise ConfigError(f"FEDSKILLS_PORT must be a number, not {port_text!r}") from None

    undo_text = get("UNDO_SECONDS", "60")
    try:
        undo_seconds = int(undo_text)
    except ValueError:
        raise ConfigError(f"FEDSKILLS_UNDO_SECONDS must be a number, not {undo_text!r}") from None

    data_dir = Path(get("DATA_DIR", "data"))
    # The default database lives in the data directory, wherever that is.
    default_db = f"sqlite+aiosqlite:///{(data_dir / 'fediverse-skills.db').as_posix()}"
    if not data_dir.is_absolute():
        default_db = f"sqlite+aiosqlite:///./{(data_dir / 'fediverse-skills.db').as_posix()}"
    settings = Settings(
        base_url=get("BASE_URL", "http://127.0.0.1:8000"),
        database_url=get("DATABASE_URL", default_db),
        secret_key=get("SECRET_KEY", ""),
        allow_private_addresses=parse_bool(
            "FEDSKILLS_ALLOW_PRIVATE_ADDRESSES", get("ALLOW_PRIVATE_ADDRESSES", "false")
        ),
        data_dir=data_dir,
        host=get("HOST", "127.0.0.1"),
        port=port,
        in_process_worker=get("IN_PROCESS_WORKER", "auto").lower(),  # type: ignore[arg-type]
        log_level=get("LOG_LEVEL", "info"),
        log_format=get("LOG_FORMAT", "text").lower(),  # type: ignore[arg-type]
        undo_seconds=undo_seconds,
        inbox_rate_limit=_number("FEDSKILLS_INBOX_RATE_LIMIT", get("INBOX_RATE_LIMIT", "1200")),
        api_rate_limit=_number("FEDSKILLS_API_RATE_LIMIT", get("API_RATE_LIMIT", "300")),
        trusted_proxies=tuple(p for p in get("TRUSTED_PROXIES", "").split(",") if p.strip()),
        authorized_fetch=parse_bool("FEDSKILLS_AUTHORIZED_FETCH", get("AUTHORIZED_FETCH", "false")),
    )
    return settings


def ensure_secret_key(settings: Settings) -> Settings:
    """Return settings with a secret key, generating and storing one on first run."""
    if settings.secret_key:
        return settings
    path = settings.data_dir / SECRET_KEY_FILE
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = ""
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    if not key:
        key = secrets.token_urlsafe(48)
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return ensure_secret_key(settings)  # another process won the race
        except OSError as exc:
            raise ConfigError(
                f"cannot store a generated secret key in {path}: {exc.strerror}; "
                "set FEDSKILLS_SECRET_KEY or FEDSKILLS_DATA_DIR"
            ) from None
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key + "\n")
    return settings.replace(secret_key=key)
