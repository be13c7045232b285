"""Who hears of what. Pure: a contact, a site and a severity (or an escalation) in, yes or no out."""

from __future__ import annotations

from collections.abc import Iterable

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
