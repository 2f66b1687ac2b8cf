from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from constel import views

urlpatterns = [
    # The API first: the busiest (tried in order), telefollow-up's first (readings).
    path("api/v1/", include("telemonitoring.api_urls")),
    path("api/v1/", include("pathways.api_urls")),
    path("api/v1/", include("patients.api_urls")),
    path("api/v1/", include("billing.api_urls")),
    path("", views.home, name="home"),
    path("tenant/", views.tenant_choose, name="tenant_choose"),
    path("healthz", views.healthz, name="healthz"),
    path("audit/access-log/", views.access_log, name="access_log"),
    path("privacy/", views.privacy, name="privacy"),
    path("settings/", include("constel.settings_urls")),
    path("patients/", include("patients.urls")),
    path("pathway/", include("engagement.urls")),  # messages and contents (same paths)
    path("pathway/", include("evaluation.urls")),  # dashboard and export (same paths)
    path("pathway/letters/", include("letters.urls")),
    path("pathway/", include("telemonitoring.urls")),
    path("pathway/", include("pathways.urls")),
    path("portal/invitation/", include("portal.invitation_urls")),
    path("portal/", include("portal.urls")),
    path("gp/", include("portal.gp_urls")),
    path("billing/", include("billing.urls")),
    path("fhir/R4/", include("fhir_r4.urls")),
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
