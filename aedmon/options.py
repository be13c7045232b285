"""A command's options in one place: the command line, the environment and a TOML file.

Every option has one name: `--database-url` on the command line, `AEDMON_DATABASE_URL` in the
environment, `database_url` in the file that `--config` names. A flag wins over the
environment, the environment over the file, the file over the default. A secret is never
written in the file: only the name of a file that holds it (`tokens_file`).
"""

from __future__ import annotations

import difflib
import json
import textwrap
import tomllib
from collections.abc import Iterator, Mapping, MutableMapping
from contextvars import ContextVar
from enum import Enum
from pathlib import Path
from types import NoneType, UnionType
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin
from urllib.parse import urlsplit

import tomli_w
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings, InitSettingsSource, PydanticBaseSettingsSource

from aedmon.config import read_secret
from aedmon.protocols.broker import has_password

CONFIG_FILE: ContextVar[Path | None] = ContextVar("aedmon_config_file", default=None)
MAX_CONFIG_BYTES = 1_000_000
REDACTED = "(redacted)"


class FromFile(BaseSettings):
    """Settings that may also come from the TOML file `--config` names (set in CONFIG_FILE by
    the command line before the settings are read). GROUPS says under which concern each
    option is shown in the manual (`--help`)."""

    GROUPS: ClassVar[dict[str, tuple[str, ...]]] = {}
    # Options whose value is a URL with a secret in its path (a push URL's token): shown as their
    # host only by `config show`.
    SECRET_PATHS: ClassVar[frozenset[str]] = frozenset()
    # An option renamed: its old name → (its new name, what changed). The old name still works,
    # with a warning, on the command line, in the environment and in the file, for one release.
    RENAMED: ClassVar[dict[str, tuple[str, str]]] = {}

    config: Path | None = Field(
        default=None,
        description="read options from this TOML file (one option per line, by its name in snake_case: "
        'database_url = "…"); flags and AEDMON_* variables win over it',
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = CONFIG_FILE.get()
        if path is None:
            return init_settings, env_settings
        renamed = getattr(settings_cls, "RENAMED", {})
        data = {renamed[key][0] if key in renamed else key: value for key, value in read_file(path).items()}
        return init_settings, env_settings, InitSettingsSource(settings_cls, init_kwargs=data)


def secret_options(model: type[BaseSettings]) -> set[str]:
    """The options that hold a secret themselves (each has a `*_file` twin to name its file)."""
    return {name for name, info in model.model_fields.items() if info.repr is False}


def config_in(args: list[str], environ: Mapping[str, str]) -> Path | None:
    """The file `--config FILE` (or `--config=FILE`, or AEDMON_CONFIG) names, read before the
    other options so that they can come from it."""
    for i, arg in enumerate(args):
        if arg == "--config" and i + 1 < len(args):
            return Path(args[i + 1])
        if arg.startswith("--config="):
            return Path(arg.removeprefix("--config="))
    named = environ.get("AEDMON_CONFIG", "").strip()
    return Path(named) if named else None


def read_file(path: Path) -> dict[str, Any]:
    """The file's options; ValueError in one line when it cannot be read or is not TOML."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read: {exc.strerror or exc.__class__.__name__}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ValueError(f"{path}: larger than {MAX_CONFIG_BYTES} bytes; is it the right file?")
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None


def mistakes(path: Path, data: Mapping[str, Any], model: type[BaseSettings]) -> Iterator[str]:
    """Each thing wrong with the file's options for `model`, one line each, never a value: an
    unknown option (with the nearest known one), a secret written in the file, a value of the
    wrong type or out of range, a file it names that cannot be read."""
    fields = {name: info for name, info in model.model_fields.items() if name != "config"}
    secrets = secret_options(model)
    renamed: dict[str, tuple[str, str]] = getattr(model, "RENAMED", {})
    for given, value in data.items():
        key = renamed[given][0] if given in renamed else given
        if given in renamed and key in data:
            yield f"{path}: {given} and {key} are one option (its old and new name): keep {key} alone"
            continue
        info = fields.get(key)
        if info is None:
            near = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.6)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            if isinstance(value, dict):
                hint += " (options are at the top level, not in [tables])"
            yield f"{path}: unknown option {key!r}{hint}"
            continue
        if key in secrets:
            twin = f"{key}_file"
            instead = f"write it in a file of its own and name that file with {twin}"
            yield f"{path}: {key} is a secret and is never written here; " + (
                instead if twin in fields else "use the environment"
            )
            continue
        if isinstance(value, str) and "://" in value and has_password(value):
            yield f"{path}: {key} holds a password in its URL; " + (
                f"name a file that holds it with {key}_password_file"
                if f"{key}_password_file" in fields
                else "keep it in a file of its own (for PostgreSQL: ~/.pgpass or PGPASSFILE)"
            )
            continue
        finite = ConfigDict(allow_inf_nan=model.model_config.get("allow_inf_nan", True))
        kind: Any = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        adapter: TypeAdapter[Any] = TypeAdapter(kind, config=finite)
        strict = isinstance(value, bool) and info.annotation is not bool  # `port = true` is no port 1
        try:
            checked = adapter.validate_python(value, strict=strict)
        except ValidationError as exc:
            error = exc.errors(include_input=False, include_url=False)[0]
            yield f"{path}: {key}: {error['msg'].removeprefix('Value error, ')} (the file has {_kind(value)})"
            continue
        try:  # the option's own checks (a time zone this machine knows)
            for name, validator in model.__pydantic_decorators__.field_validators.items():
                if key in validator.info.fields and validator.info.mode == "after":
                    checked = getattr(model, name)(checked)
        except ValueError as exc:
            yield f"{path}: {key}: {str(exc).splitlines()[0][:300]}"
            continue
        if key.endswith("_file") and isinstance(checked, Path):
            try:
                if key.removesuffix("_file") in secrets or key.endswith(("password_file", "secret_file")):
                    read_secret(checked, key)
                else:
                    checked.open("rb").close()
            except (OSError, ValueError) as exc:
                yield f"{path}: {key}: {str(exc) or exc.__class__.__name__}"


def file_errors(exc: ValidationError) -> list[str]:
    """A settings error in the file's words: each option by its key, never its value."""
    return [
        f"{'.'.join(str(p) for p in e['loc']) or 'the whole'}: {e['msg'].removeprefix('Value error, ')}"
        for e in exc.errors(include_input=False, include_url=False)
    ]


def renames(
    model: type[BaseSettings], args: list[str], environ: MutableMapping[str, str], data: Mapping[str, Any]
) -> tuple[list[str], list[str]]:
    """The command line with each old option name made its new one, and a warning for each old
    name used (on the command line, in `environ`, which gains the new variable, or in the file)."""
    said: list[str] = []
    out = list(args)
    for old, (new, why) in getattr(model, "RENAMED", {}).items():
        old_flag, new_flag = "--" + old.replace("_", "-"), "--" + new.replace("_", "-")
        for i, arg in enumerate(out):
            if arg == old_flag or arg.startswith(old_flag + "="):
                out[i] = new_flag + arg.removeprefix(old_flag)
                said.append(f"{old_flag} is now {new_flag} ({why}); the old name goes in the next release")
        old_var, new_var = f"AEDMON_{old.upper()}", f"AEDMON_{new.upper()}"
        if old_var in environ:
            environ.setdefault(new_var, environ[old_var])
            said.append(f"{old_var} is now {new_var} ({why}); the old name goes in the next release")
        if old in data:
            said.append(f"{old} in the file is now {new} ({why}); the old name goes in the next release")
    return out, said


def _kind(value: object) -> str:
    kinds = {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list"}
    kinds[dict] = "a table"
    return next((name for kind, name in kinds.items() if isinstance(value, kind)), "a date or time")


def effective(model: type[BaseSettings], settings: BaseSettings) -> str:
    """The settings in force as the TOML file that would give them, secrets redacted: a secret
    option, a URL's password, a push URL's path."""
    secrets = secret_options(model)
    secret_paths: frozenset[str] = getattr(model, "SECRET_PATHS", frozenset())
    out: dict[str, Any] = {}
    for name in model.model_fields:
        if name == "config":
            continue
        value = getattr(settings, name)
        if name in secrets:
            out[name] = REDACTED if value else ""
        elif isinstance(value, str) and "://" in value:
            out[name] = _redacted_url(value, whole_path=name in secret_paths)
        elif value is not None:
            out[name] = _plain(value)
    return tomli_w.dumps(out)


def _redacted_url(url: str, *, whole_path: bool) -> str:
    try:
        parts = urlsplit(url)
        if parts.password is None and not whole_path:
            return url
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return REDACTED
    user = f"{parts.username}:{REDACTED}@" if parts.password is not None else (
        f"{parts.username}@" if parts.username else "")  # fmt: skip
    path = f"/{REDACTED}" if whole_path else parts.path
    query = "" if whole_path or not parts.query else f"?{parts.query}"
    return f"{parts.scheme}://{user}{host}{port}{path}{query}"


def _plain(value: object) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# ---- the manual: `aedmon server --help` --------------------------------------------------

WIDTH = 100
# The options whose value is a broker's URL (their names do not say so).
BROKER_OPTIONS = frozenset(
    {"mqtt", "chirpstack", "things_stack", "zigbee2mqtt", "home_assistant", "notify_mqtt"}
)


def manual(model: type[FromFile], prog: str) -> str:
    """`--help` as a person reads it: the options grouped by concern, each with the kind of value
    it takes, its default, and its names in the environment and the file."""
    first = next(iter(model.GROUPS.values()))[0]
    flag, kind = "--" + first.replace("_", "-"), value_kind(first, model.model_fields[first].annotation)
    secret = min(secret_options(model), default="token") + "_file"
    lines = [
        f"usage: {prog} [--config FILE] [options]",
        "",
        *textwrap.wrap(" ".join((model.__doc__ or "").split()), WIDTH, break_on_hyphens=False),
        "",
        *textwrap.wrap(
            f"Each option is a flag ({flag} {kind}), an environment variable (AEDMON_{first.upper()}) "
            f'or a line in the --config file ({first} = "..."). A flag wins over the environment, '
            "the environment over the file, the file over the default. A secret is never a flag or a "
            f"line of the file: name the file that holds it (--{secret.replace('_', '-')}, {secret}).",
            WIDTH,
            break_on_hyphens=False,
        ),
    ]
    shown = {"config"}
    groups = {"Configuration": ("config",), **model.GROUPS}
    for title, names in groups.items():
        lines += ["", f"{title}:"]
        for name in names:
            info = model.model_fields[name]
            shown.add(name)
            lines += _option(name, info)
    if model.RENAMED:
        lines += ["", "Renamed (the old name works, with a warning, until the next release):"]
        for old, (new, why) in model.RENAMED.items():
            lines.append(f"  --{old.replace('_', '-')} is now --{new.replace('_', '-')}: {why}")
    rest = [name for name in model.model_fields if name not in shown]
    if rest:
        lines += ["", "Other:"]
        for name in rest:
            lines += _option(name, model.model_fields[name])
    return "\n".join(lines) + "\n"


def _option(name: str, info: FieldInfo) -> list[str]:
    flag = "--" + name.replace("_", "-")
    kind = value_kind(name, info.annotation)
    head = f"  {flag} / --no-{flag[2:]}" if kind == "" else f"  {flag} {kind}"
    about = (info.description or "").strip()
    default = _default(info)
    if default:
        about += f" (default: {default})"
    if info.is_required():
        about += " (required)"
    about += f" [AEDMON_{name.upper()}]"
    body = textwrap.wrap(about, WIDTH - 8, break_on_hyphens=False)
    return [head, *("        " + line for line in body)]


def value_kind(name: str, annotation: Any) -> str:
    """What an option takes, in words a person understands: N, NUMBER, TEXT, FILE, DIR, URL…"""
    inner = _without_none(annotation)
    origin = get_origin(inner)
    if inner is bool:
        return ""
    if origin is Literal:
        return "|".join(str(a) for a in get_args(inner))
    if isinstance(inner, type) and issubclass(inner, Enum):
        return "|".join(str(m.value) for m in inner)
    if inner is int:
        return "N"
    if inner is float:
        return "NUMBER"
    if inner is Path:
        return "DIR" if name.endswith("_dir") else "FILE"
    if origin is dict:
        return "JSON"
    if origin is list or inner is list:
        return "A,B,..."
    if name.endswith(("_url", "server")) or name in BROKER_OPTIONS:
        return "URL"
    return "TEXT"


def _without_none(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not NoneType]
        if len(args) == 1:
            return _without_none(args[0])
    return annotation


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return ""
    value = info.default_factory() if info.default_factory is not None else info.default  # type: ignore[call-arg]
    if value is PydanticUndefined or value is None or value == "" or value == [] or info.repr is False:
        return ""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, dict):
        return json.dumps(_plain(value))
    return str(_plain(value))
