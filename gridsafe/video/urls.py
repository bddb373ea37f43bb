"""Pages of the video app."""

from django.urls import path

from gridsafe.video import views

app_name = "video"
urlpatterns = [
    path("cameras/<int:camera_id>/", views.camera_detail, name="camera_detail"),
    path("cameras/<int:camera_id>/play.json", views.camera_play, name="camera_play"),
    path("alarms/review/", views.review_queue, name="review_queue"),
    path("alarms/<int:alarm_id>/snapshot.jpg", views.alarm_snapshot, name="alarm_snapshot"),
    path("alarms/<int:alarm_id>/false/", views.alarm_false, name="alarm_false"),
    path("alarms/<int:alarm_id>/case/", views.alarm_case, name="alarm_case"),
]
