from django.urls import include, path

app_name = "crm"
urlpatterns = [
    path("import/", include("lte.crm.urls_import")),
]
