from django.urls import path

from portal import gp_views

app_name = "gp"
urlpatterns = [
    path("", gp_views.home, name="home"),
]
