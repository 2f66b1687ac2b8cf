from django.urls import path

from letters import views

app_name = "letters"
urlpatterns = [
    path("<uuid:letter_id>/retry/", views.letter_retry, name="retry"),
    path("resend-failed/", views.letters_resend, name="resend_failed"),
    path("templates/", views.letter_templates, name="templates"),
    path("templates/<slug:kind>/", views.letter_template, name="template"),
]
