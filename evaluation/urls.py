from django.urls import path

from evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("evaluation/export/", views.evaluation_export, name="evaluation_export"),
    path("evaluation/dashboard/", views.programme_dashboard, name="dashboard"),
]
