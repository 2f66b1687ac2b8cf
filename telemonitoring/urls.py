from django.urls import path

from telemonitoring import views

app_name = "telemonitoring"
urlpatterns = [
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/count/", views.alert_count, name="alert_count"),
    path("alerts/<uuid:alert_id>/", views.alert_detail, name="alert"),
    path("<uuid:enrollment_id>/readings/", views.reading_by_phone, name="reading_by_phone"),
]
