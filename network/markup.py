"""Public text (a lead's profile, resource summaries): plain text or simple Markdown, made safe.

Markdown is rendered first and the HTML it gives is then cleaned by an allow-list (nh3): raw HTML
written into the Markdown, event handlers, styles and ``javascript:``/``data:`` links never survive.
Headings are shifted below the page's own (h3 at most), and links get ``rel="nofollow noopener"``.
"""

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "blockquote", "code", "h3", "h4", "hr"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
MAX_LENGTH = 20_000


def render(text: str) -> SafeString:
    if not text:
        return mark_safe("")  # noqa: S308 - an empty string
    html = markdown.markdown(text[:MAX_LENGTH], extensions=[], output_format="html")
    for level in (6, 5, 4, 3, 2, 1):
        shifted = min(level + 2, 4)
        html = html.replace(f"<h{level}>", f"<h{shifted}>").replace(f"</h{level}>", f"</h{shifted}>")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
    )
    return mark_safe(cleaned)  # noqa: S308 - cleaned by the allow-list above
