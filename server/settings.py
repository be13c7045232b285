"""Server settings from the environment (`AEDMON_*`) or the command line."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDERS = frozenset({"changeme", "change-me", "secret", "token", "password", "demo"})
MIN_TOKEN_LENGTH = 16


class Role(StrEnum):
    ADMIN = "admin"
    TECHNICIAN = "technician"
    VIEWER = "viewer"
    BRIDGE = "bridge"


def parse_tokens(text: str) -> dict[str, Role]:
    """`role:token,role:token` → {token: role}; raises ValueError on a bad entry."""
    tokens: dict[str, Role] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        role, sep, token = entry.partition(":")
        if not sep or not token:
            raise ValueError("each token entry must be role:token")
        try:
            tokens[token] = Role(role)
        except ValueError as exc:
            raise ValueError(f"unknown role {role!r}; use admin, technician, viewer or bridge") from exc
    return tokens


class ServerSettings(BaseSettings):
    """Run the aedmon server (API, alerts, readiness)."""

    model_config = SettingsConfigDict(
        env_prefix="AEDMON_",
        cli_kebab_case=True,
        cli_prog_name="aedmon server",
        cli_implicit_flags=True,
        extra="ignore",
    )

    host: str = Field(default="127.0.0.1", description="address to listen on")
    port: int = Field(default=8000, description="port to listen on")
    database_url: str = Field(
        default="sqlite:///aedmon.db",
        description="SQLAlchemy URL: sqlite:///file.db or postgresql+psycopg://user@host/db",
    )
    tokens: str = Field(
        default="",
        description="API tokens as role:token,… with roles admin, technician, viewer, bridge",
    )
    demo: bool = Field(default=False, description="allow short placeholder tokens (demo only)")
    pads_expiring_days: int = Field(default=30, ge=1, description="pads_expiring lead time in days")
    evaluate_interval_s: float = Field(
        default=300.0, gt=0, description="how often time-driven rules run, in seconds"
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR")

    @field_validator("tokens")
    @classmethod
    def _tokens_parse(cls, value: str) -> str:
        parse_tokens(value)
        return value

    @model_validator(mode="after")
    def _no_placeholder_secrets(self) -> ServerSettings:
        if self.demo:
            return self
        for token in parse_tokens(self.tokens):
            if token.lower() in PLACEHOLDERS or len(token) < MIN_TOKEN_LENGTH:
                raise ValueError(
                    f"a token is a placeholder or shorter than {MIN_TOKEN_LENGTH} characters; "
                    "set real tokens in AEDMON_TOKENS"
                )
        return self

    @property
    def token_roles(self) -> dict[str, Role]:
        return parse_tokens(self.tokens)
