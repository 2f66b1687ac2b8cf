from django.urls import path

from patients import views

app_name = "patients"
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("<uuid:patient_id>/", views.patient_detail, name="detail"),
    path("<uuid:patient_id>/edit/", views.patient_edit, name="edit"),
    path("<uuid:patient_id>/diagnoses/", views.diagnosis_add, name="diagnosis_add"),
    path("<uuid:patient_id>/diagnoses/<uuid:diagnosis_id>/end/", views.diagnosis_end,
         name="diagnosis_end"),
    path("<uuid:patient_id>/consents/", views.consent, name="consent"),
    path("<uuid:patient_id>/invite/", views.invite, name="invite"),
    path("<uuid:patient_id>/data.zip", views.data_export, name="data_export"),
    path("<uuid:patient_id>/carers/<uuid:carer_id>/revoke/", views.carer_revoke,
         name="carer_revoke"),
    path("data-requests/", views.data_requests, name="data_requests"),
    path("catalogue/", views.pathology_catalogue, name="catalogue"),
    path("professionals/", views.professional_list, name="professionals"),
    path("professionals/new/", views.professional_create, name="professional_create"),
    path("professionals/<uuid:professional_id>/", views.professional_detail,
         name="professional"),
]
