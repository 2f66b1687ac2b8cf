"""The patient portal (interface only)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from constel.access import Cap, membership_required, patients_in_scope


def portal_patient(request: HttpRequest):
    """The patient whose portal this is: the user's own record in the active tenant."""
    patient = patients_in_scope(request.membership).first()
    if patient is None:
        raise Http404
    return patient


@membership_required(cap=Cap.PORTAL)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"patient": portal_patient(request)})
