"""Display helpers of the pathway pages."""

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

PROFESSIONS = {
    "dietitian": _("dietitian"), "psychologist": _("psychologist"),
    "neuropsychologist": _("neuropsychologist"), "tobacco_specialist": _("tobacco specialist"),
    "social_worker": _("social worker"), "education_nurse": _("education nurse"),
    "sports_educator": _("APA educator"), "sports_physician": _("sports physician"),
    "cardiologist": _("cardiologist"), "diabetologist": _("diabetologist"),
    "nurse": _("nurse"), "podiatrist": _("podiatrist"),
    "hospital_pharmacist": _("hospital pharmacist"),
    "community_pharmacist": _("community pharmacist"),
    "general_practice": _("general practice"), "internal_medicine": _("internal medicine"),
    "vascular_physician": _("vascular physician"), "pulmonologist": _("pulmonologist"),
    "gastroenterologist": _("gastroenterologist"), "hepatologist": _("hepatologist"),
    "nephrologist": _("nephrologist"), "oncologist": _("oncologist"),
    "physical_activity_tests": _("physical-activity tests"),
    "physician_coordinator": _("coordinating physician"),
}


@register.filter
def profession(code: str) -> str:
    """The users' word for a profession code (unknown codes shown as typed)."""
    return PROFESSIONS.get(code or "", code or "")


@register.filter
def not_to_repeat(item, today) -> bool:
    return item.not_to_repeat(today)


@register.filter
def goal_label(code: str) -> str:
    from pathways.services.care_records import GOALS

    return GOALS.get(code, code)


@register.filter
def unit(code: str) -> str:
    """UCUM codes as people write them (mm[Hg] → mmHg)."""
    from telemonitoring.catalogue import unit_label

    return unit_label(code)


@register.filter
def level_label(level: str) -> str:
    return {"critical": _("critical"), "warning": _("warning")}.get(level, level)


@register.filter
def person(user) -> str:
    """A user's name for a page: full name, else e-mail, else a dash (no actor: the
    system)."""
    if user is None:
        return "—"
    return user.get_full_name() or user.email or "—"


@register.filter
def identity(patient) -> str:
    """A patient named so that two homonyms are never confused (identity vigilance): the
    name, then sex, birth date and age in a smaller line part ("DUPONT Jeanne F · 12/04/1950
    · 76 ans")."""
    from django.utils.html import format_html
    from django.utils.translation import ngettext

    from constel import dates
    from patients.validators import age_on

    if patient is None:
        return "—"
    born = patient.birth_date
    age = age_on(born, dates.today())
    return format_html(
        '{} <span class="ident">{} · {} · {}</span>', patient.display_name,
        {"F": _("F"), "M": _("M")}.get(patient.sex, patient.sex or "?"),
        f"{born:%d/%m/%Y}", ngettext("%(n)s year", "%(n)s years", age) % {"n": age})


@register.filter
def ago(moment, now=None) -> str:
    """How long ago, the way people say it: "à l'instant" under a minute, else "il y a
    3 heures" (Django's timesince, its first unit)."""
    from django.utils import timezone
    from django.utils.timesince import timesince
    from django.utils.translation import gettext as _

    if moment is None:
        return "—"
    now = now or timezone.now()
    if (now - moment).total_seconds() < 60:
        return _("just now")
    return _("%(t)s ago") % {"t": timesince(moment, now, depth=1)}


@register.simple_tag(takes_context=True)
def enrollment_url(context, enrollment_id, patient_id) -> str:
    """Where a patient's name leads: the pathway page for a role that opens it, else the
    patient's record (a secretary never gets a link that answers 403)."""
    from django.urls import reverse

    from constel.access import Cap, has_cap

    membership = getattr(context.get("request"), "membership", None)
    if membership is not None and has_cap(membership, Cap.PATIENT_CLINICAL):
        return reverse("pathways:enrollment", args=[enrollment_id])
    return reverse("patients:detail", args=[patient_id])
