from django.urls import path

from lte.crm import views_import

# Included under /app/import/ by lte.crm.urls (namespace "crm").
urlpatterns = [
    path("", views_import.import_page, name="import"),
    path("upload", views_import.import_upload, name="import-upload"),
    path("<uuid:import_id>/", views_import.import_detail, name="import-detail"),
    path("<uuid:import_id>/map", views_import.import_map, name="import-map"),
    path("<uuid:import_id>/cancel", views_import.import_cancel, name="import-cancel"),
    path("<uuid:import_id>/report.csv", views_import.import_report, name="import-report"),
]
