# Django admin is for operations only; administrators use the in-app pages (users:user_list).
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from sencrm.users.models import Grant, Role, Team, User


class GrantInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Grant
    extra = 0


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "is_system")
    inlines = [GrantInline]


admin.site.register(Team)
admin.site.register(User, UserAdmin)
