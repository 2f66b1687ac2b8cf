from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from constel.access import Cap, can_see_clinical, get_patient_or_404, membership_required
from patients.selectors import patient_list as select_patients


@membership_required(cap=Cap.PATIENT_LIST)
def patient_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    page = Paginator(select_patients(membership=request.membership, query=query), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "patients/list.html", {"page": page, "q": query})


@membership_required(cap=Cap.PATIENT_IDENTITY)
def patient_detail(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = get_patient_or_404(request, patient_id, Cap.PATIENT_IDENTITY)
    return render(
        request, "patients/detail.html",
        {"patient": patient, "show_clinical": can_see_clinical(request.membership, patient)},
    )
