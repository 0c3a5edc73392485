"""Reading the pages the tests fetch."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

_ASSET_ATTRIBUTES = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src"}
# A URL (not any word: a random CSRF token may hold "cdn") to another site, anywhere in the page.
_OFF_SITE_URL = re.compile(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"'<>]*", re.IGNORECASE)


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        wanted = _ASSET_ATTRIBUTES.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


def asset_urls(html: str) -> list[str]:
    """The src/href of every script, stylesheet, image and frame of the page."""
    parser = _Assets()
    parser.feed(html)
    return parser.urls


def off_site_assets(html: str) -> list[str]:
    """The page's assets that would be fetched from another site."""
    return [url for url in asset_urls(html) if urlsplit(url).netloc]


def cdn_urls(html: str) -> list[str]:
    """URLs anywhere in the page (scripts' settings too) that point to a CDN."""
    return [url for url in _OFF_SITE_URL.findall(html) if re.search(r"cdn|unpkg|jsdelivr", url, re.IGNORECASE)]
