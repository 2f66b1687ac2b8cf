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

from pathways import views_care  # noqa: E402

urlpatterns += [
    path("worklist/", views_care.worklist, name="worklist"),
    path("<uuid:enrollment_id>/", views_care.enrollment_detail, name="enrollment"),
    path("<uuid:enrollment_id>/transition/", views_care.transition, name="transition"),
    path("<uuid:enrollment_id>/pps/new/", views_care.care_plan_new, name="care_plan_new"),
    path("<uuid:enrollment_id>/activities/", views_care.activity_plan, name="activity_plan"),
    path("pps/<uuid:care_plan_id>/", views_care.care_plan_detail, name="care_plan"),
    path("pps/<uuid:care_plan_id>/edit/", views_care.care_plan_edit, name="care_plan_edit"),
    path("pps/<uuid:care_plan_id>/issue/", views_care.care_plan_issue, name="care_plan_issue"),
    path("activities/<uuid:activity_id>/status/", views_care.activity_status,
         name="activity_status"),
    path("groups/", views_care.group_sessions, name="group_sessions"),
    path("groups/<uuid:session_id>/", views_care.group_session_detail, name="group_session"),
]
