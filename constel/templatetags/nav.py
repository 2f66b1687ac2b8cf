"""The navigation: ``{% current url %}`` marks the link of the page being shown
(``aria-current="page"``, styled): the page itself, or an object listed there (a patient
under "Patients", an alert under "Alerts") — not a sibling page that shares the prefix."""

from __future__ import annotations

import re

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def current(context, url: str) -> str:
    request = context.get("request")
    path = getattr(request, "path", "")
    here = path == url or (url != "/" and path.startswith(url)
                           and re.match(r"[0-9a-f]{8}-|\d", path[len(url):]) is not None)
    return mark_safe(' aria-current="page"') if here else ""
