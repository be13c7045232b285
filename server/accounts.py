"""Accounts: invites, passwords (Argon2 through argon2-cffi), sessions and their CSRF tokens,
and slowing failed logins.

A person is invited by an admin: a one-time token, valid for a week, sets their password once.
Signing in makes a server-side session: the cookie holds a random value the store keeps only
as its SHA-256, with a CSRF token every state-changing request made with the cookie must carry.
Failed logins are counted per account and per address; past `ACCOUNT_FAILURES` (account) or
`ADDRESS_FAILURES` (address) within `FAILURE_WINDOW`, logins from there wait until the window
has passed. A lock-out cannot be turned against the owner (OWASP's device cookies): a browser
that has signed in to an account before carries a device cookie, and its logins to that
account are counted on their own, so wrong passwords sent from anywhere else lock out only
browsers the account has never used. A login for an unknown e-mail costs the same hash as a
known one. Whoever wants a second factor adds a TOTP secret; then a login needs its one-time
code too.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from server import store
from server.store.models import User, UserSession

INVITE_VALID = timedelta(days=7)
SESSION_VALID = timedelta(hours=12)
FAILURE_WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20
PASSWORD_MIN = 12
_HASHER = PasswordHasher()


@functools.cache
def _dummy() -> str:
    """A hash no password matches, verified for an unknown account as long as for a known one;
    made at the first sign-in, not at every start (it costs 0.15 s)."""
    return _HASHER.hash("a password no account has")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_invite(user: User, now: datetime) -> str:
    """A fresh one-time invite for the person; any earlier one stops working."""
    token = secrets.token_urlsafe(32)
    user.invite_hash = digest(token)
    user.invite_expires_at = now + INVITE_VALID
    return token


class AccountError(Exception):
    """Said to the person as it is; never says whether an account exists."""


class SecondFactorNeeded(AccountError):
    """The password is right; the person's one-time code is wanted too."""


class Throttled(AccountError):
    def __init__(self, retry_after_s: int) -> None:
        super().__init__("too many failed logins; try again later")
        self.retry_after_s = retry_after_s


def accept_invite(session: Session, token: str, password: str, now: datetime) -> User:
    """Set the password of the invited person, once."""
    if len(password) < PASSWORD_MIN:
        raise AccountError(f"a password needs at least {PASSWORD_MIN} characters")
    user = store.users.by_invite(session, digest(token))
    if (
        user is None
        or user.disabled_at is not None
        or user.invite_expires_at is None
        or user.invite_expires_at < now
    ):
        raise AccountError("this invitation is not valid (used, expired, or never made)")
    user.password_hash = _HASHER.hash(password)
    user.invite_hash = user.invite_expires_at = None
    store.users.end_sessions_of(session, user.id, now)
    return user


@dataclass(frozen=True)
class SignedIn:
    user: User
    cookie: str  # the session cookie's value
    csrf: str
    device: str | None = None  # a new device cookie's value, when this browser had none for the account


def _subjects(email: str, address: str) -> tuple[str, str]:
    return f"account:{email.lower()}", f"address:{address}"


def login(
    session: Session,
    email: str,
    password: str,
    address: str,
    now: datetime,
    code: str | None = None,
    device: str | None = None,
) -> SignedIn:
    """A new session for the person, or AccountError (Throttled when they must wait,
    SecondFactorNeeded when their password is right and their one-time code is missing).
    `device` is the browser's device cookie, if it has one."""
    account, place = _subjects(email, address)
    known = store.users.by_email(session, email)
    trusted = (
        device is not None
        and known is not None
        and store.users.trusts_device(session, digest(device), known.id)
    )
    if trusted:
        assert device is not None
        account = f"device:{digest(device)}"  # its own count: others' failures never lock it out
    since = now - FAILURE_WINDOW
    if store.users.failures_since(session, account, since) >= ACCOUNT_FAILURES or (
        not trusted and store.users.failures_since(session, place, since) >= ADDRESS_FAILURES
    ):
        raise Throttled(int(FAILURE_WINDOW.total_seconds()))
    user = known
    if not _verified(user, password):
        store.users.prune_failures(session, since)
        store.users.note_failure(session, account, now)
        store.users.note_failure(session, place, now)
        raise AccountError("the e-mail or the password is wrong")
    assert user is not None
    if user.totp_secret is not None:
        if not code:
            raise SecondFactorNeeded("enter the 6-digit code from your authenticator app")
        if not _code_fits(user, user.totp_secret, code, now):
            store.users.note_failure(session, account, now)
            store.users.note_failure(session, place, now)
            raise AccountError("the one-time code is wrong, or was used already")
    store.users.forget_failures(session, account)
    if user.password_hash is not None and _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    signed = _open_session(session, user, now)
    if trusted:
        return signed
    fresh = secrets.token_urlsafe(32)
    store.users.trust_device(session, digest(fresh), user.id, now)
    return SignedIn(signed.user, signed.cookie, signed.csrf, fresh)


# A second factor: a TOTP secret (RFC 6238, 30-s steps, 6 digits) that authenticator apps
# keep. A code is taken from the step before, now, or after (clocks drift), and only once.
TOTP_STEP_S = 30


def _code_fits(user: User, secret: str, code: str, now: datetime) -> bool:
    """Whether the code is the secret's for a step near `now` not used before; notes the step."""
    totp = pyotp.TOTP(secret)
    step = int(now.timestamp()) // TOTP_STEP_S
    for near in (step - 1, step, step + 1):
        if near > (user.totp_last_step or -1) and hmac.compare_digest(totp.at(near * TOTP_STEP_S), code):
            user.totp_last_step = near
            return True
    return False


def begin_second_factor(user: User) -> tuple[str, str]:
    """A new secret waiting for its first code, and the otpauth:// link an app reads from a QR code."""
    secret = pyotp.random_base32()
    user.totp_pending = secret
    return secret, pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="aedmon")


def confirm_second_factor(user: User, code: str, now: datetime) -> None:
    if user.totp_pending is None:
        raise AccountError("no second factor is being set up; start again")
    if not _code_fits(user, user.totp_pending, code, now):
        raise AccountError("the one-time code is wrong; check the time on your phone")
    user.totp_secret, user.totp_pending = user.totp_pending, None


def remove_second_factor(user: User, code: str, now: datetime) -> None:
    if user.totp_secret is None:
        raise AccountError("no second factor is set")
    if not _code_fits(user, user.totp_secret, code, now):
        raise AccountError("the one-time code is wrong, or was used already")
    user.totp_secret = user.totp_pending = None


def single_sign_on(session: Session, email: str, now: datetime) -> SignedIn:
    """A new session for the invited, enabled person with this e-mail, which the identity
    provider has verified; AccountError when there is none. An invitation still open is
    taken as accepted: the provider vouches for the person."""
    user = store.users.by_email(session, email)
    if user is None or user.disabled_at is not None:
        raise AccountError("no one with this e-mail is invited here; ask your administrator")
    user.invite_hash, user.invite_expires_at = None, None
    return _open_session(session, user, now)


def _open_session(session: Session, user: User, now: datetime) -> SignedIn:
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    store.users.add_session(
        session, UserSession(id=digest(cookie), user_id=user.id, csrf=csrf, created_at=now,
                             expires_at=now + SESSION_VALID)
    )  # fmt: skip
    return SignedIn(user, cookie, csrf)


def _verified(user: User | None, password: str) -> bool:
    hashed = user.password_hash if user is not None and user.disabled_at is None else None
    try:
        return _HASHER.verify(hashed or _dummy(), password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def change_password(session: Session, user: User, current: str, new: str, now: datetime) -> None:
    if not _verified(user, current):
        raise AccountError("the current password is wrong")
    if len(new) < PASSWORD_MIN:
        raise AccountError(f"a password needs at least {PASSWORD_MIN} characters")
    user.password_hash = _HASHER.hash(new)
    store.users.end_sessions_of(session, user.id, now)
