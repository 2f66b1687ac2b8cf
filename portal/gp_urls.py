from django.urls import path

from portal import engagement, gp_views

app_name = "gp"
urlpatterns = [
    path("", gp_views.home, name="home"),
    path("refer/", gp_views.refer, name="refer"),
    path("patients/<uuid:patient_id>/", gp_views.patient, name="patient"),
    path("questionnaire/<slug:code>/", engagement.gp_questionnaire, name="questionnaire"),
    path("pps/<uuid:care_plan_id>/", gp_views.care_plan, name="care_plan"),
    path("letters/", gp_views.letters, name="letters"),
    path("letters/<uuid:letter_id>/", gp_views.letter, name="letter"),
    path("letters/<uuid:letter_id>/pdf/", gp_views.letter_pdf, name="letter_pdf"),
    path("agreement/<slug:tenant_slug>/<str:token>/", gp_views.agreement, name="agreement"),
]
