"""The audit trail in the lead's one list of activity (programmes/activity.py): every change to a
patient or an episode, told as sentences ("changed DXA date from — to 2026-11-23")."""

from __future__ import annotations

from django.utils.translation import gettext as _

from patients import rules
from patients.models import AuditEntry
from programmes.activity import Activity, Filters, narrowed


def _value(field: str, value) -> str:
    if value in (None, ""):
        return "—"
    return str(rules.label(field, value)) if field in rules.ENUMS else str(value)


def changes_in_words(entry: AuditEntry) -> str:
    what = (_("episode %(id)s") if entry.entity == AuditEntry.Entity.EPISODE else _("patient %(id)s")) % {
        "id": entry.entity_id
    }
    if entry.action == AuditEntry.Action.DELETE:
        return _("deleted %(what)s: %(reason)s") % {"what": what, "reason": entry.reason or "—"}
    phrases = []
    for field, (before, after) in (entry.changes or {}).items():
        label = str(rules.LABELS.get(field, field.replace("_", " ")))
        if entry.action == AuditEntry.Action.CREATE:
            if after not in (None, ""):
                phrases.append(_("%(field)s %(after)s") % {"field": label, "after": _value(field, after)})
        else:
            phrases.append(
                _("changed %(field)s from %(before)s to %(after)s")
                % {"field": label, "before": _value(field, before), "after": _value(field, after)}
            )
    lead = _("recorded %(what)s") % {"what": what} if entry.action == AuditEntry.Action.CREATE else what
    return lead + (": " + "; ".join(phrases) if phrases else "")


def audit_activity(programme, filters: Filters, limit: int) -> list[Activity]:
    entries = narrowed(AuditEntry.objects.for_programme(programme).select_related("actor"), filters, at="at")
    return [
        Activity(
            at=entry.at,
            who=entry.actor.display_name if entry.actor else _("the registry"),
            what=_("Patient data changed"),
            detail=changes_in_words(entry),
        )
        for entry in entries.order_by("-at", "-id")[:limit]
    ]
