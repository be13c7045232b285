"""Who is asking, and what they may see: a principal (a signed-in person, a named key, or a
bootstrap token's role)
with a role over listed sites, listed areas, or everything; and the sites that makes visible.

Everything outside a principal's sites is as if it did not exist: lookups answer 404, lists
leave it out, and a scope can be granted only by one that holds it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from server.settings import Role


@dataclass(frozen=True)
class Principal:
    name: str  # a person's e-mail, a key's name, or a bootstrap token's role; the audit says it
    role: Role
    sites: frozenset[str] = frozenset()
    areas: frozenset[str] = frozenset()
    key_id: int | None = None
    user_id: int | None = None
    csrf: str | None = None  # a signed-in person's: state-changing requests must carry it

    @property
    def everything(self) -> bool:
        return not self.sites and not self.areas


@dataclass(frozen=True)
class Access:
    """A principal and the sites it sees (`visible` None: every site)."""

    principal: Principal
    visible: frozenset[str] | None = field(default=None)

    @property
    def name(self) -> str:
        return self.principal.name

    @property
    def role(self) -> Role:
        return self.principal.role

    def sees(self, site: str | None) -> bool:
        return self.visible is None or (site is not None and site in self.visible)

    def sees_all(self, sites: Iterable[str]) -> bool:
        """Whether every one of these sites is visible; an empty list means every site."""
        listed = list(sites)
        if self.visible is None:
            return True
        return bool(listed) and all(site in self.visible for site in listed)

    def may_grant(self, sites: Iterable[str], areas: Iterable[str]) -> bool:
        """Whether this principal holds all it would grant: no more sites or areas than its own."""
        if self.principal.everything:
            return True
        sites, areas = set(sites), set(areas)
        if not sites and not areas:
            return False  # everything
        return areas <= self.principal.areas and sites <= (self.visible or frozenset())
