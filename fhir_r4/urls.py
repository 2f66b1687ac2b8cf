from django.urls import path

from fhir_r4 import views as views_fhir

app_name = "fhir"
urlpatterns = [
    path("Patient/<str:patient_id>", views_fhir.patient_read, name="patient"),
    path("Patient/<str:patient_id>/$everything", views_fhir.patient_everything,
         name="everything"),
    path("Practitioner/<str:practitioner_id>", views_fhir.practitioner_read,
         name="practitioner"),
    path("Observation", views_fhir.observation_search, name="observations"),
    path("CarePlan", views_fhir.care_plan_search, name="care_plans"),
    path("Flag", views_fhir.flag_search, name="flags"),
]
