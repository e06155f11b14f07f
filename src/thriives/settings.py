"""Settings, read from the environment (prefix ``THRIIVES_``) by the composition root only.

Every setting is documented in the README's settings table; a test fails when one is not.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="THRIIVES_", extra="ignore")

    database_url: str = Field(
        "sqlite:///var/thriives.db",
        description="SQLAlchemy URL of the store: SQLite file (default) or postgresql+psycopg://",
    )
    migrate_database_url: str | None = Field(
        None,
        description="URL `thriives migrate` uses (PostgreSQL: the owner role); default: database_url",
    )
    audit_key_file: Path = Field(
        Path("var/audit.key"),
        description="File of the keys that seal the audit log (created when missing); never in the database",
    )
    host: str = Field("127.0.0.1", description="Address the web server listens on")
    port: int = Field(8000, description="Port the web server listens on")
    demo: bool = Field(False, description="Demo mode: demo users may log in")
    session_idle_minutes: int = Field(30, ge=1, description="Idle minutes before a session ends")
    login_free_failures: int = Field(
        5, ge=1, description="Failed log-ins for one account name before each further one makes it wait"
    )
    login_source_free_failures: int = Field(
        20, ge=1, description="Failed log-ins from one client address before each further one makes it wait"
    )
    login_longest_wait_seconds: int = Field(
        300, ge=1, le=86_400, description="Ceiling of the log-in wait, which doubles from 2 seconds"
    )
    token_days: int = Field(90, ge=1, le=3650, description="Days an API token lasts after it is issued")
    secure_cookies: bool = Field(False, description="Mark cookies Secure (set true behind TLS)")
    event_poll_seconds: float = Field(
        0.25, gt=0, le=10, description="How often each server process polls the events table"
    )
    reference_prefix: str = Field("TH", pattern=r"^[A-Z]{1,6}$", description="Incident reference prefix")
    force_timezone: str = Field("Europe/London", description="Force's local time zone (references, display)")
    policy_dir: Path | None = Field(None, description="Folder of policy files; default: the bundled policy")
    db_pool_size: int = Field(16, ge=1, description="PostgreSQL connection pool size per process")
    token_cache_seconds: float = Field(
        5.0, ge=0, le=300, description="Seconds a bearer token's identity is remembered per process"
    )
    worker_in_process: bool = Field(
        True,
        description="Run the deadline worker inside the web server (set false when running thriives worker)",
    )
    worker_poll_seconds: float = Field(
        0.2, gt=0, le=5, description="Longest the deadline worker sleeps before looking for due deadlines"
    )
    request_log: bool = Field(
        True, description="Log one line per request (method, path, status, ms, user) to stderr"
    )
    argon2_time_cost: int = Field(3, ge=1, description="argon2 time cost for password hashes")
    argon2_memory_kib: int = Field(65536, ge=64, description="argon2 memory cost (KiB) for password hashes")

    @field_validator("force_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"{value!r} is not a known time zone (e.g. Europe/London)") from error
        return value
