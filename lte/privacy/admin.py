"""The Django admin shows staff what they need to run the service — and nothing of anyone's CRM.

Contacts, notes, messages, follow-ups, templates, keys and the access log are not registered at all;
support reaches an account's data only through the logged support view (lte.privacy.staff).
"""

from django.contrib import admin

from lte.accounts.models import User
from lte.privacy.deletion import account_delete
from lte.privacy.models import ChildReport, PolicyVersion, UsageDailyCount, VisitorDay
from lte.privacy.staff import record_staff_action


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "name", "is_active", "is_staff", "created_at")
    search_fields = ("email",)
    fields = ("email", "name", "is_active", "is_staff", "created_at", "last_login")
    readonly_fields = ("created_at", "last_login")

    def delete_model(self, request, obj) -> None:
        """An account deleted here goes exactly like any deletion (tombstone, rows, sessions, keys), logged."""
        record_staff_action(staff=request.user, account_id=obj.pk, action="delete_account", resource="account",
                            basis="reason", reason="deleted in the admin")
        account_delete(user=obj)

    def delete_queryset(self, request, queryset) -> None:
        for user in list(queryset):
            self.delete_model(request, user)


@admin.register(ChildReport)
class ChildReportAdmin(admin.ModelAdmin):
    list_display = ("reported_email", "created_at", "resolved_at", "resolution")
    readonly_fields = ("reported_email", "details", "reporter_email", "created_at")


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    """Read-only: versions are published with `lte publish_policy`, which enforces the 30-day notice."""

    list_display = ("kind", "published_on", "effective_on", "meaningful", "notified_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(UsageDailyCount)
class UsageDailyCountAdmin(admin.ModelAdmin):
    list_display = ("day", "name", "uses", "accounts")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(VisitorDay)
class VisitorDayAdmin(admin.ModelAdmin):
    list_display = ("day", "visitors", "views")

    def has_change_permission(self, request, obj=None):
        return False
