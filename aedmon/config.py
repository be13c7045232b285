"""Setting types shared by the commands' pydantic-settings models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator
from pydantic_settings import NoDecode


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [part.strip() for item in value for part in str(item).split(",") if part.strip()]
    return value


# A list option given by repeating the flag, or comma-separated (also in AEDMON_* variables).
CommaList = Annotated[list[str], NoDecode, BeforeValidator(_split_commas)]
# How much a process logs, in any case (info, INFO).
LogLevel = Annotated[
    Literal["DEBUG", "INFO", "WARNING", "ERROR"],
    BeforeValidator(lambda value: value.upper() if isinstance(value, str) else value),
]


def read_secret(path: Path, option: str) -> str:
    """A secret kept in a file (so it never shows in `ps`): its text without the final newline.
    The error names the option and the path, never the file's content."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc.__class__.__name__
        raise ValueError(f"cannot read {option} {path}: {reason}") from None
    secret = text.strip()
    if not secret:
        raise ValueError(f"{option} {path} is empty")
    return secret
