"""Public pages outside /app (included at the site root, before lte.site.urls): reporting a child's account
and acknowledging a policy change.

No path parameters on purpose: the acknowledgement names its version in the POST body.
"""

from django.urls import path

from lte.privacy import views_public as views

app_name = "public"
urlpatterns = [
    path("policy-changes/acknowledge", views.policy_acknowledge, name="policy_acknowledge"),
    path("report-child", views.report_child, name="report_child"),
]
