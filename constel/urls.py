from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from constel import views
from constel.api import api_urlpatterns
from portal import views as portal_views

urlpatterns = [
    path("api/v1/", include(api_urlpatterns)),  # first: the busiest (tried in order)
    path("", views.home, name="home"),
    path("tenant/", views.tenant_choose, name="tenant_choose"),
    path("healthz", views.healthz, name="healthz"),
    path("audit/access-log/", views.access_log, name="access_log"),
    path("privacy/", views.privacy, name="privacy"),
    path("settings/", include("constel.settings_urls")),
    path("patients/", include("patients.urls")),
    path("pathway/", include("pathways.urls")),
    path("portal/invitation/<slug:tenant_slug>/<str:token>/", portal_views.invitation_accept,
         name="invitation_accept"),
    path("portal/", include("portal.urls")),
    path("gp/", include("portal.gp_urls")),
    path("billing/", include("billing.urls")),
    path("fhir/R4/", include("pathways.fhir_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("accounts/sessions/", views.sessions, name="usersessions_list"),  # before allauth's
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler500 = "constel.views.server_error"
