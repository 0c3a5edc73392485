from django import template
from django.conf.locale import LANG_INFO

register = template.Library()
# Codes Django knows only with a script or region (zh-hans, zh-hant).
OWN_NAMES = {"zh": "中文"}


@register.filter
def language_names(codes) -> str:
    """ISO 639-1 codes as the languages' own names ("it, en" -> "italiano, English"); an unknown
    code stays as it is."""
    names = []
    for code in codes or []:
        if code in OWN_NAMES:
            names.append(OWN_NAMES[code])
            continue
        info = LANG_INFO.get(code, {})
        if "fallback" in info:
            info = LANG_INFO.get(info["fallback"][0], {})
        names.append(info.get("name_local", code))
    return ", ".join(names)
