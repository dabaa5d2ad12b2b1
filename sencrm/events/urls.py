from django.urls import path

from sencrm.events import views

app_name = "events"

urlpatterns = [
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read/", views.notification_read, name="notification_read"),
    path("trash/", views.trash, name="trash"),
    path("trash/<int:ct_id>/<int:pk>/restore/", views.trash_restore, name="trash_restore"),
    path("history/<int:ct_id>/<int:pk>/", views.audit, name="audit"),
    path("admin/log/", views.event_log, name="log"),
    path("admin/users/<int:pk>/history/", views.user_audit, name="user_audit"),
]
