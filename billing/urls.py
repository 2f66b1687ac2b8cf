from django.urls import path

from billing import views

app_name = "billing"
urlpatterns = [
    path("statements/", views.statements, name="statements"),
    path("statements/compile/", views.compile_view, name="compile"),
    path("statements/<uuid:pk>/", views.statement, name="statement"),
    path("statements/<uuid:pk>/issue/", views.statement_issue, name="statement_issue"),
    path("statements/<uuid:pk>/discard/", views.statement_discard, name="statement_discard"),
    path("statements/<uuid:pk>/export.<str:fmt>", views.statement_export,
         name="statement_export"),
    path("tariffs/", views.tariffs, name="tariffs"),
    path("remuneration/", views.remunerations, name="remunerations"),
    path("remuneration/<uuid:pk>/", views.remuneration, name="remuneration"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
