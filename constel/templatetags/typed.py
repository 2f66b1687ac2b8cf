"""What a refused form keeps: ``{% typed "form" "field" default %}`` (the value typed; the
default when another form — or none — was refused, or the field was not in this one),
``{% chosen … value %}`` for options and boxes, ``{% field_error "form" "field" %}`` (the
message beside the field, with the attributes ``{% invalid … %}`` puts on the input),
``{% refused_summary %}`` at the top of the page."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

register = template.Library()


def _refused(context, form):
    refused = context.get("refused")
    return refused if refused is not None and refused.form == form else None


@register.simple_tag(takes_context=True)
def typed(context, form: str, name: str, default=""):
    refused = _refused(context, form)
    if refused is not None and name in refused.data:
        return refused.data.get(name)
    return "" if default is None else default


@register.simple_tag(takes_context=True)
def chosen(context, form: str, name: str, value, default=None, word: str = "selected"):
    """``selected`` (or ``word``) when ``value`` is the one typed — or, when this form was not
    refused, the default."""
    refused = _refused(context, form)
    if refused is not None:
        picked = refused.data.getlist(name)
        return word if str(value) in picked else ""
    return word if default is not None and str(value) == str(default) else ""


@register.simple_tag(takes_context=True)
def field_error(context, form: str, name: str):
    refused = _refused(context, form)
    if refused is None or name not in refused.errors:
        return ""
    return format_html('<span class="error" id="{}-{}-error">{}</span>', form, name,
                       refused.errors[name])


@register.simple_tag(takes_context=True)
def invalid(context, form: str, name: str):
    refused = _refused(context, form)
    if refused is None or name not in refused.errors:
        return ""
    return format_html(' aria-invalid="true" aria-describedby="{}-{}-error"', form, name)


@register.simple_tag(takes_context=True)
def refused_summary(context):
    """"Nothing was saved" and each message, linked to its field."""
    refused = context.get("refused")
    if refused is None or not refused.errors:
        return ""
    items = format_html_join(
        "", "<li>{}</li>",
        ((format_html('<a href="#{}-{}">{}</a>', refused.form, name, message)
          if name != "__all__" else message,) for name, message in refused.errors.items()))
    return format_html('<div class="error" role="alert" id="refused"><p>{}</p><ul>{}</ul></div>',
                       _("Nothing was saved:"), items)
