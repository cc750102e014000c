from django.urls import path

from lte.site import pwa, views

app_name = "site"
urlpatterns = [
    path("", views.home, name="home"),
    path("pricing", views.pricing, name="pricing"),
    path("privacy", views.privacy, name="privacy"),
    path("terms", views.terms, name="terms"),
    path("cookies", views.cookies, name="cookies"),
    # The installable app (CONTRACT.md): at the root, so the worker's scope is the whole site.
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service-worker"),
    path("offline", pwa.offline, name="offline"),
    path("language/<str:code>", views.language_choose, name="language"),
]
