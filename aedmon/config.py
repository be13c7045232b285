"""Setting types shared by the commands' pydantic-settings models."""

from __future__ import annotations

from typing import Annotated

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
