from django.urls import path

from sencrm.events import views, webhook_views

app_name = "events"

urlpatterns = [
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read/", views.notification_read, name="notification_read"),
    path("trash/", views.trash, name="trash"),
    path("trash/<int:ct_id>/<int:pk>/restore/", views.trash_restore, name="trash_restore"),
    path("history/<int:ct_id>/<int:pk>/", views.audit, name="audit"),
    path("admin/log/", views.event_log, name="log"),
    path("admin/users/<int:pk>/history/", views.user_audit, name="user_audit"),
    path("admin/webhooks/", webhook_views.webhook_list, name="webhook_list"),
    path("admin/webhooks/new/", webhook_views.webhook_create, name="webhook_create"),
    path("admin/webhooks/<int:pk>/", webhook_views.webhook_edit, name="webhook_edit"),
    path("admin/webhooks/<int:pk>/active/", webhook_views.webhook_set_active, name="webhook_set_active"),
    path("admin/webhooks/<int:pk>/delete/", webhook_views.webhook_delete, name="webhook_delete"),
    path(
        "admin/webhooks/<int:pk>/rotate-secret/",
        webhook_views.webhook_rotate_secret,
        name="webhook_rotate_secret",
    ),
    path("admin/webhooks/<int:pk>/deliveries/", webhook_views.webhook_deliveries, name="webhook_deliveries"),
    path(
        "admin/webhooks/<int:pk>/deliveries/<int:delivery_pk>/",
        webhook_views.webhook_delivery,
        name="webhook_delivery",
    ),
    path(
        "admin/webhooks/<int:pk>/deliveries/<int:delivery_pk>/replay/",
        webhook_views.webhook_delivery_replay,
        name="webhook_delivery_replay",
    ),
]
