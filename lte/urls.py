from allauth.account import views as allauth_views
from django.contrib import admin
from django.urls import include, path

from lte.api.api import api
from lte.site import views as site_views

urlpatterns = [
    path("healthz", site_views.healthz, name="healthz"),
    path("staff/admin/", admin.site.urls),
    path("staff/", include("lte.privacy.urls_staff")),
    path("api/v1/", api.urls),
    path("accounts/", include("allauth.urls")),
    # The contract's fixed paths. Listed after allauth's own so that reversing these names (which
    # allauth does for its links and redirects) gives /signup and /login.
    path("signup", allauth_views.signup, name="account_signup"),
    path("login", allauth_views.login, name="account_login"),
    path("app/", include("lte.accounts.urls")),
    path("app/", include("lte.billing.urls")),
    path("app/", include("lte.crm.urls")),
    path("app/", include("lte.teams.urls")),
    path("app/", include("lte.privacy.urls")),
    path("", include("lte.privacy.urls_public")),
    path("", include("lte.crm.urls_public")),
    path("", include("lte.site.urls")),
]


handler404 = "lte.site.views.not_found"
handler500 = "lte.site.views.server_error"
