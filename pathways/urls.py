from django.urls import path

from pathways import views

app_name = "pathways"
urlpatterns = [
    path("propose/<uuid:patient_id>/", views.propose, name="propose"),
    path("referrals/", views.referral_inbox, name="referrals"),
    path("referrals/<uuid:enrollment_id>/", views.referral_detail, name="referral"),
    path("<uuid:enrollment_id>/agreement-phone/", views.agreement_phone, name="agreement_phone"),
    path("<uuid:enrollment_id>/include/", views.include, name="include"),
    path("<uuid:enrollment_id>/exit/", views.exit_, name="exit"),
]
