from django.contrib.auth import views as auth_views
from django.urls import path

from sencrm.users import views

app_name = "users"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("language/", views.set_language, name="set_language"),
    path("admin/users/", views.user_list, name="user_list"),
    path("admin/users/new/", views.user_edit, name="user_create"),
    path("admin/users/<int:pk>/", views.user_edit, name="user_edit"),
    path("admin/teams/", views.team_list, name="team_list"),
    path("admin/teams/new/", views.team_edit, name="team_create"),
    path("admin/teams/<int:pk>/", views.team_edit, name="team_edit"),
    path("admin/roles/", views.role_list, name="role_list"),
    path("admin/roles/new/", views.role_edit, name="role_create"),
    path("admin/roles/<int:pk>/", views.role_edit, name="role_edit"),
]

# Sign-in pages keep Django's conventional names ("login", "logout"), outside the namespace.
auth_urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
