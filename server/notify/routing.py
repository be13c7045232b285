"""Who hears of what. Pure: a contact, a site and a severity (or an escalation) in, yes or no out."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.rules.findings import Severity
from server.store.models import Contact, Purpose

SEVERITY_RANK = {Severity.INFO: 0, Severity.MINOR: 1, Severity.MAJOR: 2, Severity.CRITICAL: 3}


def serves_site(contact: Contact, site: str) -> bool:
    """A contact named for no site hears of every site."""
    return not contact.sites or site in contact.sites


def routes(contact: Contact, site: str, severity: Severity) -> bool:
    """Whether this contact hears of an alert of this severity at this site."""
    return (
        serves_site(contact, site)
        and SEVERITY_RANK[severity] >= SEVERITY_RANK[Severity(contact.min_severity)]
    )


def recipients(contacts: Iterable[Contact], site: str, severity: Severity, purpose: Purpose) -> list[Contact]:
    """Who is told: an escalation goes to the site's escalation contacts, the rest by routing."""
    if purpose is Purpose.ESCALATION:
        return [c for c in contacts if c.escalation and serves_site(c, site)]
    return [c for c in contacts if routes(c, site, severity)]


def site_first(contact: Contact) -> int:
    """The people of the site itself (contacts named for it) are told before those who hear of
    every site: when an AED is taken, the building's staff hear it first."""
    return 0 if contact.sites else 1


def on_holiday(contact: Contact, now: datetime) -> bool:
    """Paused until a day (UTC) still to come: told nothing planned before it."""
    return contact.paused_until is not None and now.date() < contact.paused_until


def _hour(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def quiet_until(contact: Contact, now: datetime) -> datetime | None:
    """When the contact's quiet hours end, if `now` is inside them; else None. The hours are
    the contact's local ones, so they follow daylight saving: a night from 22:00 to 07:00 is
    22:00 to 07:00 on the clock on the night the clocks change too."""
    quiet = contact.quiet_hours
    if not isinstance(quiet, dict):
        return None
    try:
        zone = ZoneInfo(str(quiet["time_zone"]))
        start, end = _hour(str(quiet["start"])), _hour(str(quiet["end"]))
    except (KeyError, ValueError, LookupError):  # a row the API never wrote: no quiet hours
        return None
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        inside, day = start <= clock < end, local.date()
    else:  # over midnight
        inside = clock >= start or clock < end
        day = local.date() + timedelta(days=1) if clock >= start else local.date()
    return _local(day, end, zone) if inside else None


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """That wall-clock time on that day, as an instant (a time the clocks skip: the hour after)."""
    moment = datetime.combine(day, at, tzinfo=zone)
    there_and_back = moment.astimezone(UTC).astimezone(zone)
    if there_and_back.replace(tzinfo=None) != moment.replace(tzinfo=None):  # skipped by the clocks
        moment = datetime.combine(day, at, tzinfo=zone) + timedelta(hours=1)
    return moment.astimezone(UTC)
