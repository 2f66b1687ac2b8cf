from django.urls import path

from engagement import views

app_name = "engagement"
urlpatterns = [
    path("messages/<uuid:patient_id>/", views.patient_messages, name="patient_messages"),
    path("messages/attachments/<uuid:attachment_id>/", views.message_attachment,
         name="message_attachment"),
    path("messages/<uuid:patient_id>/give-content/", views.content_assign,
         name="content_assign"),
    path("contents/", views.contents, name="contents"),
    path("contents/<uuid:item_id>/video/", views.content_video, name="content_video"),
]
