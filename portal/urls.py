from django.urls import path

from portal import engagement, readings, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("consent/", views.consent, name="consent"),
    path("for-whom/", views.act_for, name="act_for"),
    path("care-plan/", views.care_plan, name="care_plan"),
    path("readings/", readings.readings, name="readings"),
    path("messages/", engagement.messages_view, name="messages"),
    path("messages/attachments/<uuid:attachment_id>/", engagement.attachment,
         name="attachment"),
    path("questionnaire/epices/", engagement.epices, name="epices"),
    path("appointments/", engagement.appointments, name="appointments"),
    path("appointments.ics", engagement.appointments_ics, name="appointments_ics"),
    path("my-data.zip", engagement.export, name="export"),
    path("my-consents/", engagement.consents, name="consents"),
    path("questionnaire/<slug:code>/", engagement.questionnaire, name="questionnaire"),
    path("learn/", engagement.contents, name="contents"),
    path("learn/<uuid:assignment_id>/video/", engagement.content_video, name="content_video"),
]
