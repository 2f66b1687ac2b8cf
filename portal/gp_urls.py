from django.urls import path

from portal import gp_views

app_name = "gp"
urlpatterns = [
    path("", gp_views.home, name="home"),
    path("refer/", gp_views.refer, name="refer"),
    path("pps/<uuid:care_plan_id>/", gp_views.care_plan, name="care_plan"),
    path("agreement/<slug:tenant_slug>/<str:token>/", gp_views.agreement, name="agreement"),
]
