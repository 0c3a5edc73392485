from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def highlighted(candidate) -> str:
    """The candidate's report with the words that found a vertebral fracture marked (``<mark>``)."""
    text = candidate.report_text or ""
    parts, at = [], 0
    for start, end in sorted(tuple(span) for span in candidate.matched or ()):
        if start < at or end > len(text):
            continue
        parts.append(escape(text[at:start]))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        at = end
    parts.append(escape(text[at:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece of the text is escaped above
