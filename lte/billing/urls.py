from django.urls import path

from lte.billing import views

app_name = "billing"
urlpatterns = [
    path("settings/billing", views.billing_settings, name="settings"),
    path("settings/billing/checkout", views.billing_checkout, name="checkout"),
    path("settings/billing/portal", views.billing_portal, name="portal"),
]
