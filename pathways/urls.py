from django.urls import path

from pathways import views, views_activities, views_care, views_records

app_name = "pathways"
urlpatterns = [
    path("propose/<uuid:patient_id>/", views.propose, name="propose"),
    path("referrals/", views.referral_inbox, name="referrals"),
    path("referrals/<uuid:enrollment_id>/", views.referral_detail, name="referral"),
    path("<uuid:enrollment_id>/agreement-phone/", views.agreement_phone, name="agreement_phone"),
    path("<uuid:enrollment_id>/include/", views.include, name="include"),
    path("<uuid:enrollment_id>/exit/", views.exit_, name="exit"),
]

urlpatterns += [
    path("worklist/", views_activities.worklist, name="worklist"),
    path("<uuid:enrollment_id>/", views_care.enrollment_detail, name="enrollment"),
    path("<uuid:enrollment_id>/transition/", views_care.transition, name="transition"),
    path("<uuid:enrollment_id>/pps/new/", views_care.care_plan_new, name="care_plan_new"),
    path("<uuid:enrollment_id>/activities/", views_activities.activity_plan, name="activity_plan"),
    path("<uuid:enrollment_id>/assessment-day/", views_activities.assessment_day,
         name="assessment_day"),
    path("pps/<uuid:care_plan_id>/", views_care.care_plan_detail, name="care_plan"),
    path("pps/<uuid:care_plan_id>/edit/", views_care.care_plan_edit, name="care_plan_edit"),
    path("pps/<uuid:care_plan_id>/issue/", views_care.care_plan_issue, name="care_plan_issue"),
    path("activities/<uuid:activity_id>/status/", views_activities.activity_status,
         name="activity_status"),
    path("groups/", views_activities.group_sessions, name="group_sessions"),
    path("groups/<uuid:session_id>/", views_activities.group_session_detail, name="group_session"),
]

urlpatterns += [
    path("equipment/", views_records.equipment_inventory, name="equipment"),
    path("<uuid:enrollment_id>/checklist/", views_records.checklist_mark, name="checklist_mark"),
    path("<uuid:enrollment_id>/time/", views_records.time_record, name="time_record"),
    path("<uuid:enrollment_id>/reconciliation/", views_records.reconciliation_record,
         name="reconciliation_record"),
    path("<uuid:enrollment_id>/equipment/lend/", views_records.equipment_lend,
         name="equipment_lend"),
    path("<uuid:enrollment_id>/equipment/return/", views_records.equipment_return,
         name="equipment_return"),
    path("<uuid:enrollment_id>/hospitalisations/", views_records.hospitalisation_record,
         name="hospitalisation_record"),
    path("<uuid:enrollment_id>/lab-results/", views_records.lab_result_record,
         name="lab_result_record"),
    path("<uuid:enrollment_id>/goals/", views_records.goal_review_record,
         name="goal_review_record"),
    path("<uuid:enrollment_id>/final-assessment/", views_records.final_assessment_record,
         name="final_assessment_record"),
]

