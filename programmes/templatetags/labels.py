"""``{{ code|label:"kind" }}`` and ``{{ codes|labels:"kind" }}``: coded values in the reader's
language (``programmes.labels``)."""

from django import template

from programmes import labels as coded

register = template.Library()


@register.filter
def label(code, kind: str) -> str:
    return coded.label(kind, code)


@register.filter
def labels(codes, kind: str) -> str:
    return coded.labels(kind, codes)
