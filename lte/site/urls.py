from django.urls import path

from lte.site import views

app_name = "site"
urlpatterns = [
    path("", views.home, name="home"),
    path("pricing", views.pricing, name="pricing"),
    path("privacy", views.privacy, name="privacy"),
    path("terms", views.terms, name="terms"),
    path("cookies", views.cookies, name="cookies"),
    path("language/<str:code>", views.language_choose, name="language"),
]
