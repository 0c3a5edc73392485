"""Who may do what, and where: the one resolver that views, the API, tasks and the admin ask.

Authority is a **grant**: an actor holds a *role* in a *scope*. Three kinds of scope:

- **global**: the roles ``reviewer`` and ``iof_staff``, and ``superuser`` (the system's operators,
  e.g. hospital IT). Stored as flags on the user (one bit per role: a person holds a global role
  or not); they change only through the audited services in ``programmes.services``.
- **programme**: ``viewer``, ``coordinator`` or ``lead``, stored as a ``Membership``.
- **object**: a role on one object, e.g. a reviewer's assignment to one application. An app above
  this one registers how to find such grants for its model (``register_object_roles``). An object
  that belongs to a programme (it has ``programme_id``) also carries that programme's roles.

What a role allows is written once, in ``ROLE_CAPABILITIES``: a capability is a plain string such as
``"patients.write"``. Global roles never carry into a programme: IOF staff and reviewers hold no
programme role, so no path of theirs reaches a patient row. ``authority_for(actor, scope)`` answers
"what may this actor do here"; ``roles_holding(capability)`` answers the reverse, for the tenancy
tests and for pages that list who may act.

See docs/architecture.md ("Authority") for why grants stay in today's models behind this resolver.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from programmes.models import Membership, Programme, Role


class Capability:
    """The capabilities the registry knows today (apps above may add their own strings)."""

    # In one programme.
    PROGRAMME_READ = "programme.read"  # the programme's pages, its episodes and KPIs
    PATIENTS_WRITE = "patients.write"  # record and import episodes, record contacts
    PATIENTS_EXPORT = "patients.export"  # download the programme's episodes
    PATIENTS_DELETE = "patients.delete"  # delete an episode (with a reason)
    PATIENTS_AUDIT = "patients.audit"  # read the change log of clinical values
    KPIS_REPORT = "kpis.report"  # ask for a PDF report
    TEAM_MANAGE = "programme.team"  # invite, change roles, remove members, read the access log
    SETTINGS_MANAGE = "programme.settings"  # programme details, KPI set, expected caseload
    # Global.
    ADMIN_SITE = "admin.site"  # open the admin
    PROGRAMMES_MANAGE = "programmes.manage"  # create and edit programmes, their caseloads and members
    PEOPLE_MANAGE = "people.manage"  # see people, correct names, deactivate and reactivate accounts
    INVITE_ANYONE = "invitations.any"  # invite to any programme, and reviewers and IOF staff
    GLOBAL_ROLES_GRANT = "roles.global"  # grant and revoke the reviewer and IOF staff roles
    SUPERUSER_GRANT = "roles.superuser"  # grant and revoke superuser
    AUDIT_READ_ALL = "audit.all"  # the whole access log, global events included
    ACCOUNTS_SECURITY = "accounts.security"  # others' passwords, e-mail addresses, authenticators
    PATIENTS_ADMIN = "patients.admin"  # the episode admin (system operators only)


C = Capability
_COORDINATOR = frozenset({C.PROGRAMME_READ, C.PATIENTS_WRITE, C.PATIENTS_EXPORT, C.KPIS_REPORT})
_IOF_STAFF = frozenset(
    {C.ADMIN_SITE, C.PROGRAMMES_MANAGE, C.PEOPLE_MANAGE, C.INVITE_ANYONE, C.GLOBAL_ROLES_GRANT, C.AUDIT_READ_ALL}
)
ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    # programme scope
    Role.VIEWER: frozenset({C.PROGRAMME_READ}),
    Role.COORDINATOR: _COORDINATOR,
    Role.LEAD: _COORDINATOR | {C.PATIENTS_DELETE, C.PATIENTS_AUDIT, C.TEAM_MANAGE, C.SETTINGS_MANAGE},
    # global scope. Reviewers act on the applications assigned to them (object scope, recognition).
    "reviewer": frozenset(),
    "iof_staff": _IOF_STAFF,
    # Only what a superuser may do beyond IOF staff: the rest is IOF staff's (ROLE_INCLUDES).
    "superuser": frozenset({C.SUPERUSER_GRANT, C.ACCOUNTS_SECURITY, C.PATIENTS_ADMIN}),
}
# A role that holds everything another role holds, whatever an app adds to that role later: a
# superuser is IOF staff plus their own extras, computed at look-up (no app extends both by hand).
ROLE_INCLUDES: dict[str, tuple[str, ...]] = {"superuser": ("iof_staff",)}
PROGRAMME_ROLES = tuple(Role.values)
GLOBAL_ROLES = ("reviewer", "iof_staff", "superuser")
# The roles whose holders must use two-factor authentication (accounts.mfa asks ``needs_two_factors``).
TWO_FACTOR_ROLES = frozenset({"reviewer", "iof_staff", "superuser", Role.LEAD})


@dataclass(frozen=True)
class Authority:
    """What one actor may do in one scope."""

    roles: frozenset[str]
    capabilities: frozenset[str]
    membership: Membership | None = None  # programme scope: the grant itself

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    @property
    def flags(self) -> dict[str, bool]:
        """For templates: ``may.patients_write`` and so on."""
        return {capability.replace(".", "_"): True for capability in self.capabilities}


NOBODY = Authority(frozenset(), frozenset())
_object_role_finders: dict[type, list[Callable]] = {}


def register_object_roles(model: type, finder: Callable, capabilities: dict[str, Iterable[str]]) -> None:
    """An app declares object-scoped grants: ``finder(actor, obj)`` returns the actor's roles on
    ``obj``, and ``capabilities`` what each of those roles allows. Several apps may register for one
    model, and a role's capabilities are merged with what it already allows, never replaced."""
    finders = _object_role_finders.setdefault(model, [])
    if finder not in finders:
        finders.append(finder)
    for role, allowed in capabilities.items():
        extend_role(role, allowed)


def extend_role(role: str, capabilities: Iterable[str]) -> None:
    """An app above this one adds its capabilities to an existing role (e.g. a lead may apply for
    recognition), so the whole table stays in ``ROLE_CAPABILITIES``."""
    ROLE_CAPABILITIES[role] = ROLE_CAPABILITIES.get(role, frozenset()) | frozenset(capabilities)


def role_capabilities(role: str) -> frozenset[str]:
    """What ``role`` allows: its own capabilities and those of the roles it includes."""
    found = set(ROLE_CAPABILITIES.get(role, frozenset()))
    for included in ROLE_INCLUDES.get(role, ()):
        found |= role_capabilities(included)
    return frozenset(found)


def _capabilities(roles: Iterable[str]) -> frozenset[str]:
    found: set[str] = set()
    for role in roles:
        found |= role_capabilities(role)
    return frozenset(found)


def global_roles(actor) -> frozenset[str]:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return frozenset()
    return frozenset(str(role) for role in actor.global_roles)


def membership_of(actor, programme) -> Membership | None:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return None
    return Membership.objects.filter(user_id=actor.pk, programme_id=getattr(programme, "pk", programme)).first()


def programme_authority(membership: Membership | None) -> Authority:
    if membership is None:
        return NOBODY
    roles = frozenset({membership.role})
    return Authority(roles, _capabilities(roles), membership)


def authority_for(actor, scope=None) -> Authority:
    """What ``actor`` may do in ``scope``: None (global), a Programme, or any object."""
    if scope is None:
        roles = global_roles(actor)
        return Authority(roles, _capabilities(roles))
    if isinstance(scope, Programme):
        return programme_authority(membership_of(actor, scope))
    authority = NOBODY
    programme_id = getattr(scope, "programme_id", None)
    if programme_id is not None:
        authority = programme_authority(membership_of(actor, programme_id))
    finders = _object_role_finders.get(type(scope), [])
    if finders and actor is not None and actor.is_authenticated and actor.is_active:
        roles = authority.roles.union(*(frozenset(finder(actor, scope)) for finder in finders))
        authority = Authority(roles, _capabilities(roles), authority.membership)
    return authority


def can_globally_or_in(actor, programme, *, globally: str, there: str) -> bool:
    """IOF staff's global capability, or the capability in this one programme (e.g. its lead)."""
    return authority_for(actor).can(globally) or authority_for(actor, programme).can(there)


def roles_holding(capability: str, roles: Iterable[str] = PROGRAMME_ROLES) -> frozenset[str]:
    """Which of these roles (by default the programme roles) allow the capability."""
    return frozenset(role for role in roles if capability in role_capabilities(role))


def people_holding(capability: str, programme=None) -> list[int]:
    """The ids of the active people who hold ``capability``: globally (through a global role), or,
    with ``programme``, through their membership there. Whom to tell is chosen by what they may do,
    so a superuser who may decide on recognition is told as IOF staff are."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    from accounts.models import GLOBAL_ROLE_FIELDS

    if programme is not None:
        roles = roles_holding(capability)
        return list(
            Membership.objects.filter(programme=programme, role__in=roles, user__is_active=True)
            .order_by("user_id")
            .values_list("user_id", flat=True)
        )
    roles = roles_holding(capability, GLOBAL_ROLES)
    if not roles:
        return []
    holders = Q()
    for role in roles:
        holders |= Q(**{GLOBAL_ROLE_FIELDS[role]: True})
    return list(get_user_model().objects.filter(holders, is_active=True).order_by("pk").values_list("pk", flat=True))


def needs_two_factors(user) -> bool:
    """The two-factor rule, asked of the same grants: a global role, or a role in a programme, that
    is in ``TWO_FACTOR_ROLES``."""
    if global_roles(user) & TWO_FACTOR_ROLES:
        return True
    programme_roles = [role for role in TWO_FACTOR_ROLES if role in PROGRAMME_ROLES]
    return Membership.objects.filter(user_id=user.pk, role__in=programme_roles).exists()
