"""The installation's chat, SMS and push services, from the channels file (`--channels-file`).

Two levels, so that no secret lives in a contact's row: the file names each *service* once,
as an Apprise URL with `{address}` where a contact's address goes; a contact names the
service and gives only its address. Apprise (a well-kept library that speaks 100+
services) does the talking.

    [services.telegram]
    url = "tgram://123456:AAH-bot-token/{address}"
    [services.sms]
    url = "smseagle://api-token@sms.example.org/{address}"
    address = "phone"      # optional: what an address is (said by the scheme when it can be)
    shape = "sms"          # optional: how a message is written for it (sms, chat or text)

An address is checked for its kind (E.164 for phones, digits for chat ids, a topic's
letters…) and percent-encoded whole, so it can never change a URL's host, path or query.
The secrets are the file's alone: they are never shown (`privacy` is Apprise's own redacted
form) and `redact` strikes every part of every service's URL from any text that leaves.
"""

from __future__ import annotations

import logging
import re
import threading
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import apprise

log = logging.getLogger(__name__)

PLACEHOLDER = "{address}"
_HOST_RE = re.compile(r"^([a-z0-9-]+\.)+[a-z]{2,}$|^[0-9.]+$")  # a DNS name or an IPv4 address
NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,23}$")
BUILT_IN = frozenset({"webhook", "email", "mqtt"})  # the contact's own channels
MAX_FILE_BYTES = 256 * 1024
MAX_SERVICES = 64


class AddressKind(StrEnum):
    PHONE = "phone"  # E.164: +359888123456
    CHAT = "chat"  # a chat's number: Telegram's 123456789, a group's -1001234567890
    TOPIC = "topic"  # ntfy's topic, a webhook's path: letters, digits, _ and -
    EMAIL = "email"
    MATRIX = "matrix"  # a room or a user: #room:example.org, !id:example.org, @user:example.org
    ID = "id"  # an opaque id such as Viber's (letters, digits, _ - = +)


class Shape(StrEnum):
    SMS = "sms"  # one segment where it can be, three at most for a critical alert
    CHAT = "chat"  # a title, the reasons, what to bring and the link
    TEXT = "text"  # the whole message, as e-mail has it


ADDRESS_RE = {
    AddressKind.PHONE: re.compile(r"^\+[1-9][0-9]{6,14}$"),
    AddressKind.CHAT: re.compile(r"^-?[0-9]{1,20}$"),
    AddressKind.TOPIC: re.compile(r"^[A-Za-z0-9_-]{1,64}$"),
    AddressKind.EMAIL: re.compile(r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"),
    AddressKind.MATRIX: re.compile(r"^[#!@][A-Za-z0-9._=+/-]{1,100}:[A-Za-z0-9.-]{1,200}(:[0-9]{1,5})?$"),
    AddressKind.ID: re.compile(r"^[A-Za-z0-9_=+-]{1,64}$"),
}
ADDRESS_SAID = {
    AddressKind.PHONE: "a phone number in international form (E.164), such as +359888123456",
    AddressKind.CHAT: "a chat's number, such as 123456789",
    AddressKind.TOPIC: "a topic of letters, digits, _ and - (at most 64)",
    AddressKind.EMAIL: "an e-mail address",
    AddressKind.MATRIX: "a room or user such as #aed:example.org",
    AddressKind.ID: "an id of letters, digits and _ - = + (at most 64)",
}
SAMPLE = {  # an address of each kind, found again in Apprise's privacy form of the URL
    AddressKind.PHONE: "+19995550123",
    AddressKind.CHAT: "9876543210",
    AddressKind.TOPIC: "aedmonaddress",
    AddressKind.EMAIL: "aedmon.address@example.org",
    AddressKind.MATRIX: "#aedmonaddress:example.org",
    AddressKind.ID: "aedmonaddress",
}
_SMS = ("smseagle", "smseagles", "smsmgr", "twilio", "vonage", "nexmo", "bulksms", "bulkvs", "clicksend",
        "sinch", "d7sms", "msg91", "plivo", "seven", "46elks", "smpp", "smpps", "httpsms", "kavenegar",
        "msgbird", "burstsms", "dapnet", "freemobile", "voipms", "signl4")  # fmt: skip
# What an address is, and how a message is shaped, by the URL's scheme, where it says.
BY_SCHEME: dict[str, tuple[AddressKind, Shape]] = {
    **dict.fromkeys(_SMS, (AddressKind.PHONE, Shape.SMS)),
    "signal": (AddressKind.PHONE, Shape.CHAT),
    "signals": (AddressKind.PHONE, Shape.CHAT),
    "whatsapp": (AddressKind.PHONE, Shape.CHAT),
    "tgram": (AddressKind.CHAT, Shape.CHAT),
    "viber": (AddressKind.ID, Shape.CHAT),
    "matrix": (AddressKind.MATRIX, Shape.CHAT),
    "matrixs": (AddressKind.MATRIX, Shape.CHAT),
    "ntfy": (AddressKind.TOPIC, Shape.CHAT),
    "ntfys": (AddressKind.TOPIC, Shape.CHAT),
    "gotify": (AddressKind.TOPIC, Shape.CHAT),
    "gotifys": (AddressKind.TOPIC, Shape.CHAT),
    **dict.fromkeys(("json", "jsons", "form", "forms", "xml", "xmls"), (AddressKind.TOPIC, Shape.TEXT)),
    "mailto": (AddressKind.EMAIL, Shape.TEXT),
    "mailtos": (AddressKind.EMAIL, Shape.TEXT),
}


def _secrets_of(template: str) -> list[str]:
    """The parts of a service's URL that could be secrets (all but its scheme, host names,
    short pieces and numbers), longest first."""
    rest = template.split("://", 1)[-1].replace(PLACEHOLDER, "/")
    found = {form for piece in re.split(r"[/:@?&#=,]", rest) for form in (piece, unquote(piece))
             if len(form) >= 4 and not form.isdigit() and not _HOST_RE.match(form)}  # fmt: skip
    return sorted(found, key=len, reverse=True)


def redact_with(text: str, secrets: list[str]) -> str:
    """The text with each of the secrets (longest first) struck out."""
    for secret in secrets:
        text = text.replace(secret, "****")
    return text


class ServicesError(ValueError):
    """The channels file cannot be used; the text names the service, never its secrets."""


@dataclass(frozen=True)
class Service:
    name: str
    template: str  # the Apprise URL with {address}: a secret, never shown
    kind: AddressKind
    shape: Shape
    privacy: str  # Apprise's own redacted form, with {address} in place

    @property
    def scheme(self) -> str:
        return self.template.split("://", 1)[0].lower()

    def check(self, address: str) -> str:
        """The address if it is one of this service's kind; else ValueError saying what it must be."""
        if not isinstance(address, str) or not ADDRESS_RE[self.kind].match(address):
            raise ValueError(f"an address for {self.name} must be {ADDRESS_SAID[self.kind]}")
        return address

    def url(self, address: str) -> str:
        """The URL to notify `address` at: the address percent-encoded whole, so no character
        of it can end the path or start a host, a query or a fragment."""
        return self.template.replace(PLACEHOLDER, quote(self.check(address), safe=""))


def _instantiate(url: str) -> Any:
    """Apprise's plugin for the URL, or None; Apprise's own complaint (which may quote the URL)
    is not let out."""
    with quiet():
        return apprise.Apprise.instantiate(url)


def _service(name: str, entry: object) -> Service:
    if not NAME_RE.match(name) or name in BUILT_IN:
        raise ServicesError(
            f"service name {name[:40]!r}: 1 to 24 of a-z 0-9 _ - starting with a letter, "
            f"and none of {', '.join(sorted(BUILT_IN))}"
        )
    if not isinstance(entry, dict):
        raise ServicesError(f"service {name}: a table with a url")
    unknown = set(entry) - {"url", "address", "shape"}
    if unknown:
        raise ServicesError(f"service {name}: unknown key {sorted(unknown)[0]!r} (url, address, shape)")
    template = entry.get("url")
    if not isinstance(template, str) or "://" not in template:
        raise ServicesError(f"service {name}: url must be an Apprise URL such as tgram://token/{PLACEHOLDER}")
    if template.count(PLACEHOLDER) != 1:
        raise ServicesError(f"service {name}: url must hold {PLACEHOLDER} exactly once")
    scheme = template.split("://", 1)[0].lower()
    kind_shape = BY_SCHEME.get(scheme)
    try:
        kind = AddressKind(entry["address"]) if "address" in entry else None
        shape = Shape(entry["shape"]) if "shape" in entry else None
    except ValueError:
        raise ServicesError(
            f"service {name}: address is one of {', '.join(AddressKind)}, shape one of {', '.join(Shape)}"
        ) from None
    if kind is None and kind_shape is None:
        raise ServicesError(
            f"service {name}: say what an address is (address = one of {', '.join(AddressKind)})"
        )
    kind = kind or kind_shape[0]  # type: ignore[index]
    shape = shape or (kind_shape[1] if kind_shape else Shape.TEXT)
    sample = SAMPLE[kind]
    plugin = _instantiate(template.replace(PLACEHOLDER, quote(sample, safe="")))
    if plugin is None:
        raise ServicesError(
            f"service {name}: Apprise cannot use this {scheme}:// URL (see its documentation)"
        )
    privacy = str(plugin.url(privacy=True))
    for form in (quote(sample, safe=""), quote(sample), sample):
        privacy = privacy.replace(form, PLACEHOLDER)
    return Service(name, template, kind, shape, redact_with(privacy, _secrets_of(template)))


@dataclass(frozen=True)
class Services:
    """The services of one channels file, by name."""

    by_name: dict[str, Service]

    @classmethod
    def none(cls) -> Services:
        return cls({})

    @classmethod
    def load(cls, path: Path) -> Services:
        """Read and check the file; ServicesError names the first mistake (and no secret)."""
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ServicesError(f"cannot read --channels-file {path}: {exc.strerror or exc}") from None
        if len(raw) > MAX_FILE_BYTES:
            raise ServicesError(f"--channels-file {path} is larger than {MAX_FILE_BYTES // 1024} KiB")
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            # the parser's message quotes no value, only where it stopped
            where = str(exc).split("(", 1)[-1].rstrip(")") if "(" in str(exc) else "its encoding"
            raise ServicesError(f"--channels-file {path} is not TOML ({where})") from None
        unknown = set(data) - {"services"}
        if unknown:
            raise ServicesError(f"--channels-file {path}: unknown table {sorted(unknown)[0]!r} (services)")
        services = data.get("services", {})
        if not isinstance(services, dict):
            raise ServicesError(f"--channels-file {path}: services must be a table of [services.NAME]")
        if len(services) > MAX_SERVICES:
            raise ServicesError(f"--channels-file {path}: at most {MAX_SERVICES} services")
        return cls({name: _service(name, entry) for name, entry in services.items()})

    def get(self, name: str) -> Service | None:
        return self.by_name.get(name)

    def secrets(self) -> list[str]:
        """Every part of every service's URL that could be a secret, longest first."""
        found = {secret for service in self.by_name.values() for secret in _secrets_of(service.template)}
        return sorted(found, key=len, reverse=True)


class Holder:
    """The services in force: the file read at start, and again on SIGHUP (by `reload`)."""

    def __init__(self, services: Services | None = None) -> None:
        self.set(services or Services.none())

    def set(self, services: Services) -> None:
        _REDACT.update(services.secrets())  # its secrets struck before any send can use them
        self.services = services


class _Redactor:
    """Strikes every service secret ever loaded (a reload keeps the old ones) from text."""

    def __init__(self) -> None:
        self._secrets: list[str] = []
        self._lock = threading.Lock()

    def update(self, secrets: list[str]) -> None:
        with self._lock:
            merged = set(self._secrets) | set(secrets)
            self._secrets = sorted(merged, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        return redact_with(text, self._secrets)


_REDACT = _Redactor()
redact = _REDACT


def reload(current: Holder, path: Path | None) -> bool:
    """Read the file again; a file that no longer reads keeps the services in force (and says so)."""
    if path is None:
        return False
    try:
        services = Services.load(path)
    except ServicesError as exc:
        log.error("channels file not reloaded; the services in force stay", extra={"error": str(exc)})
        return False
    current.set(services)
    log.info("channels file reloaded", extra={"services": len(services.by_name)})
    return True


class _Capture(logging.Handler):
    """Apprise's and urllib3's log lines, which may hold a URL and so a token: redacted, kept
    per thread as the reason of a failed send, and said again only at WARNING and above."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = redact(record.getMessage())
        except Exception:  # a record that cannot be formatted says nothing
            return
        if record.levelno < logging.WARNING:
            return
        lines = getattr(self.local, "lines", None)
        if lines is None:
            log.warning("apprise: %s", text[:500])
        else:
            lines.append(text)


_CAPTURE = _Capture()
for _name in ("apprise", "urllib3"):
    _logger = logging.getLogger(_name)
    _logger.propagate = False
    _logger.handlers[:] = [_CAPTURE]
    _logger.setLevel(logging.WARNING)


class quiet:
    """Within it, this thread's Apprise warnings are kept (redacted) rather than logged."""

    def __enter__(self) -> list[str]:
        self._outer = getattr(_CAPTURE.local, "lines", None)
        _CAPTURE.local.lines = []
        lines: list[str] = _CAPTURE.local.lines
        return lines

    def __exit__(self, *exc: object) -> None:
        _CAPTURE.local.lines = self._outer
