from django.urls import path

from lte.privacy import views

app_name = "privacy"
urlpatterns = [
    path("your-data/", views.your_data, name="your-data"),
    path("your-data/export", views.export, name="export"),
    path("your-data/clear/<slug:what>", views.clear_history, name="clear"),
    path("your-data/support-access", views.support_access, name="support-access"),
    path("delete-account/", views.delete_account, name="delete-account"),
]
