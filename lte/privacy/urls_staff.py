"""The staff pages, included at /staff/ beside the admin (/staff/admin/); every view is `staff_only`.

The child report and visitor pages take no path parameters on purpose: the actions name their object in
the POST body.
"""

from django.urls import path

from lte.privacy import views_staff as views

app_name = "staff"
urlpatterns = [
    path("accounts/<uuid:account_id>/", views.staff_account, name="account"),
    path("usage/", views.staff_usage, name="usage"),
    path("child-reports", views.staff_child_reports, name="child-reports"),
    path("visitors", views.staff_visitors, name="visitors"),
]
