"""KPI words in the reader's language: ``kpi_note`` (the note stored with a figure, English as the
API writes it) and ``band_words`` (a band said in words: colour is never the only signal)."""

from django import template

from kpis.charts import band_words as _band_words
from kpis.engine import note_text

register = template.Library()


@register.filter
def kpi_note(note) -> str:
    return note_text(note)


@register.filter
def band_words(band) -> str:
    return _band_words(band)
