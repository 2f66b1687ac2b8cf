"""The GP space (interface only)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from constel.access import Cap, membership_required, patients_in_scope


@membership_required(cap=Cap.GP_SPACE)
def home(request: HttpRequest) -> HttpResponse:
    patients = patients_in_scope(request.membership).order_by("birth_name", "first_names")
    return render(request, "portal/gp_home.html", {"patients": patients})
