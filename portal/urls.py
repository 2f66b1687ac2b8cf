from django.urls import path

from portal import readings, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("consent/", views.consent, name="consent"),
    path("care-plan/", views.care_plan, name="care_plan"),
    path("readings/", readings.readings, name="readings"),
]
