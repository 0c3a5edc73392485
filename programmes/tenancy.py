"""The tenancy toolkit every programme-owned app uses.

- ``ProgrammeOwnedModel``: an abstract model with a non-null, indexed ``programme`` and a manager
  that *fails closed*: a query that was not narrowed to a programme raises ``UnscopedQueryError``
  when it is evaluated, instead of returning every hospital's rows.
- ``resolve_programme_access``: resolves the programme and the member's role once per request;
  a programme the user does not belong to answers the same 404 as one that does not exist.
- ``get_owned_or_404``: a programme-owned row of another programme answers the same 404 as a
  missing one.

Cross-programme reads (benchmarks, the map, IOF staff's admin) must say so with
``.all_programmes()``, so that a reader sees the decision in the code.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _

# Filters that narrow a query to named programmes.
_SCOPING_LOOKUPS = frozenset(
    {
        "programme",
        "programme_id",
        "programme__pk",
        "programme__id",
        "programme__slug",
        "programme__in",
        "programme_id__in",
        "programme__pk__in",
        "programme__slug__in",
    }
)


class UnscopedQueryError(RuntimeError):
    """A programme-owned table was queried without saying which programme."""


class ProgrammeScopedQuerySet(models.QuerySet):
    _programme_scoped = False

    def _clone(self):
        clone = super()._clone()
        clone._programme_scoped = self._programme_scoped
        return clone

    def _filter_or_exclude(self, negate, args, kwargs):
        clone = super()._filter_or_exclude(negate, args, kwargs)
        if not negate and _SCOPING_LOOKUPS.intersection(kwargs):
            clone._programme_scoped = True
        return clone

    def for_programme(self, programme) -> ProgrammeScopedQuerySet:
        """Rows of one programme: the normal way in."""
        return self.filter(programme=programme)

    def none(self) -> ProgrammeScopedQuerySet:
        """No rows at all: nothing of any programme can leak (Django's inline forms of a new parent ask this)."""
        clone = super().none()
        clone._programme_scoped = True
        return clone

    def global_events(self) -> ProgrammeScopedQuerySet:
        """Rows that belong to no programme (only tables that allow it, such as the access log)."""
        clone = self.filter(programme__isnull=True)
        clone._programme_scoped = True
        return clone

    def all_programmes(self) -> ProgrammeScopedQuerySet:
        """Rows of every programme. Only for explicit cross-programme work (aggregates, admin)."""
        clone = self._chain()
        clone._programme_scoped = True
        return clone

    def _require_scope(self):
        if not self._programme_scoped:
            raise UnscopedQueryError(
                f"{self.model.__name__} rows were requested without a programme: use "
                f".for_programme(programme), or .all_programmes() for an explicit cross-programme read."
            )

    def _fetch_all(self):
        if self._result_cache is None:
            self._require_scope()
        super()._fetch_all()

    def iterator(self, *args, **kwargs):
        self._require_scope()
        return super().iterator(*args, **kwargs)

    def count(self):
        if self._result_cache is None:
            self._require_scope()
        return super().count()

    def exists(self):
        if self._result_cache is None:
            self._require_scope()
        return super().exists()

    def aggregate(self, *args, **kwargs):
        self._require_scope()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs):
        self._require_scope()
        return super().update(**kwargs)

    update.alters_data = True
    update.queryset_only = False

    def delete(self):
        self._require_scope()
        return super().delete()

    delete.alters_data = True
    delete.queryset_only = True

    def in_bulk(self, *args, **kwargs):
        self._require_scope()
        return super().in_bulk(*args, **kwargs)


class ProgrammeScopedManager(models.Manager.from_queryset(ProgrammeScopedQuerySet)):
    pass


class ProgrammeOwnedModel(models.Model):
    """Base of every row that belongs to exactly one programme."""

    programme = models.ForeignKey(
        "programmes.Programme",
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s_set",
        verbose_name=_("programme"),
        db_index=True,
    )

    objects = ProgrammeScopedManager()

    class Meta:
        abstract = True


@dataclass(frozen=True)
class ProgrammeAccess:
    """A user's standing in one programme, resolved once per request."""

    programme: object
    membership: object
    authority: object  # programmes.authority.Authority
    memberships: tuple = ()  # all the user's, ordered by programme name (the programme switcher)

    @property
    def role(self) -> str:
        return self.membership.role

    def can(self, capability: str) -> bool:
        return self.authority.can(capability)


def resolve_programme_access(user, slug: str) -> ProgrammeAccess:
    """The programme and what the user may do there, or Http404 (missing and not-a-member look the same)."""
    from accounts.clock import activate_reader_zone
    from programmes import rls
    from programmes.authority import programme_authority
    from programmes.models import Membership

    if not user.is_authenticated:
        raise Http404
    # All the user's memberships in one query: the one asked for, and the switcher's list.
    memberships = tuple(
        Membership.objects.select_related("programme")
        .filter(user=user, user__is_active=True)
        .order_by("programme__name")
    )
    membership = next((m for m in memberships if m.programme.slug == slug), None)
    if membership is None:
        raise Http404
    rls.activate(membership.programme_id)  # the rest of the request sees this programme's rows only
    activate_reader_zone(user, membership.programme)  # times read in the reader's or the programme's zone
    return ProgrammeAccess(
        programme=membership.programme,
        membership=membership,
        authority=programme_authority(membership),
        memberships=memberships,
    )


def get_owned_or_404(queryset_or_model, programme, **lookup):
    """One programme-owned row: another programme's row gives the same 404 as a missing one."""
    queryset = queryset_or_model._default_manager.all() if isinstance(queryset_or_model, type) else queryset_or_model
    obj = queryset.for_programme(programme).filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj
