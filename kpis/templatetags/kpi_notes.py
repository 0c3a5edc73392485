"""``kpi_note``: the note stored with a KPI figure (English, as the API writes it), in the reader's
language."""

from django import template

from kpis.engine import note_text

register = template.Library()


@register.filter
def kpi_note(note) -> str:
    return note_text(note)
