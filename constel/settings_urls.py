from django.urls import path

from constel import settings_views

urlpatterns = [
    path("tokens/", settings_views.token_list, name="api_tokens"),
    path("tokens/<uuid:token_id>/revoke/", settings_views.token_revoke, name="api_token_revoke"),
]
