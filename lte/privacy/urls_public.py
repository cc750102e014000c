"""Public and staff pages outside /app (included at the site root, before lte.site.urls).

No path parameters on purpose: a version is `?version=YYYY-MM-DD`, and the staff actions and the
acknowledgement name their object in the POST body.
"""

from django.urls import path

from lte.privacy import views_public as views
from lte.site import views as site_views

app_name = "public"
urlpatterns = [
    path("terms", site_views.terms, name="terms"),
    path("cookies", site_views.cookies, name="cookies"),
    path("policy-changes/acknowledge", views.policy_acknowledge, name="policy_acknowledge"),
    path("report-child", views.report_child, name="report_child"),
    path("staff/child-reports", views.staff_child_reports, name="staff_child_reports"),
    path("staff/visitors", views.staff_visitors, name="staff_visitors"),
]
