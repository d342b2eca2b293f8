"""Configuration from ``REGISTRY_*`` environment variables, checked at start-up."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///var/registry.sqlite3"


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="forbid")

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="sqlite:///PATH (embedded, the default), postgresql://USER@HOST:PORT/DB, or memory://",
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    inline_projections: bool = Field(
        True,
        description="Bring read models up to date in the API process after each write. "
        "Turn off when `registry projections run` follows the log instead.",
    )
    projection_batch: int = Field(500, ge=1, le=100_000, description="Events per read-model transaction")
    rebuild_checkpoint: int = Field(
        50_000, ge=1, le=10_000_000, description="Events a rebuild applies between commits (what a kill can lose)"
    )
    pool_size: int = Field(8, ge=1, le=200, description="PostgreSQL connections per process")
    db_timeout: float = Field(1.0, gt=0, le=60, description="Seconds to wait for a database connection")
    signing_key_file: Path = Field(
        Path("var/signing.key"),
        description="Ed25519 key (base64 of the 32-byte seed) that signs checkpoints; made on first use if missing",
    )
    log_origin: str = Field(
        "program-registry",
        min_length=1,
        pattern=r"^[^\s+]+$",
        description="The origin line of signed checkpoints, naming this log (and the key name of its signatures)",
    )
    checkpoint_every: int = Field(1000, ge=1, description="Sign and store a checkpoint after this many new events")
    checkpoint_seconds: float = Field(
        300.0, gt=0, description="…or at the first write this many seconds after the last checkpoint"
    )
    witness_keys: list[str] = Field(
        default_factory=list,
        description="Verifier keys (name+hash+key) of witnesses whose cosignatures are accepted (JSON list)",
    )
    read_wait: float = Field(
        2.0, ge=0, le=30, description="Seconds a read with min_position waits for the read models before 503"
    )
    watch: bool = Field(
        True,
        description="PostgreSQL: keep key revocations, read-model positions and failures and stored documents in"
        " memory, told of changes by LISTEN/NOTIFY on one connection per process (off: query them per request)",
    )
    max_body_bytes: int = Field(1_000_000, ge=1_000, description="Larger request bodies are refused with 413")
    open_reads: bool = Field(False, description="Let callers without an API key read (never write)")
    ready_max_lag: int = Field(1000, ge=0, description="/ready answers 503 when a read model is more events behind")
    ready_max_lag_seconds: float = Field(
        30.0, ge=0, description="/ready answers 503 when a read model's oldest unapplied event is older (seconds)"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Least severe log record written (JSON lines on stderr)"
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql://", "postgres://", "memory://")):
            msg = "must start with sqlite:///, postgresql:// or memory://"
            raise ValueError(msg)
        return value

    @property
    def postgres_url(self) -> str:
        """The database URL in the spelling psycopg accepts (``postgres://`` is an alias)."""
        return self.database_url.replace("postgres://", "postgresql://", 1)

    @property
    def sqlite_path(self) -> Path | None:
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return None


class ConfigurationError(Exception):
    """The environment holds an invalid REGISTRY_* setting; the message names each one."""


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, or a ConfigurationError that says which variable is wrong and why."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        lines = [_line(issue) for issue in error.errors()]
        raise ConfigurationError("invalid configuration:\n" + "\n".join(lines)) from None


def _line(issue: Any) -> str:
    name = "REGISTRY_" + "_".join(str(part) for part in issue["loc"]).upper()
    return f"  {name}: {issue['msg']} (got {_redacted(issue.get('input'))!r})"


def _redacted(value: object) -> object:
    """URLs may carry a password: show them without it."""
    return re.sub(r"//([^:/@]*):[^@]*@", r"//\1:***@", value) if isinstance(value, str) else value
