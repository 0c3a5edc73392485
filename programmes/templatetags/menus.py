"""The programme's menu, rendered once per distinct input and then reused.

The menu is a pure function of the programme (slug and name), the group and view of the page shown,
the reader's language and what the reader may do there: every one of them is in the key, so a
rendered menu can never show another programme's or another role's links. It is the same for
every page of a section, and rendering it (a score of URL reversals and translations) was about a
twelfth of a light page's time (bench/load_bench.py).
"""

from __future__ import annotations

import functools

from django import template
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def programme_menu(context) -> str:
    programme = context["current_programme"]
    match = getattr(context.get("request"), "resolver_match", None)
    may = context.get("may") or {}
    return _rendered(
        programme.slug,
        programme.name,
        context.get("nav_section", ""),
        match.view_name if match else "",
        translation.get_language(),
        frozenset(name for name, allowed in may.items() if allowed),
    )


@functools.lru_cache(maxsize=4096)
def _rendered(slug: str, name: str, nav_section: str, view: str, language: str, may: frozenset[str]) -> str:
    with translation.override(language):
        html = render_to_string(
            "includes/programme_menu.html",
            {
                "current_programme": {"slug": slug, "name": name},
                "nav_section": nav_section,
                "view": view,
                "may": dict.fromkeys(may, True),
            },
        )
    return mark_safe(html)  # noqa: S308 - a template's output, its values escaped by the template
