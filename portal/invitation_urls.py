"""The invitation link of the e-mails (not namespaced: its name is in links already sent)."""

from django.urls import path

from portal import views

urlpatterns = [
    path("<slug:tenant_slug>/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
