from django import template

from programmes.labels import language_info

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
        names.append(language_info(code).get("name_local", code))
    return ", ".join(names)
