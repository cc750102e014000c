from django.urls import path

from lte.accounts import views

app_name = "accounts"
urlpatterns = [
    path("settings/", views.settings_profile, name="settings"),
    path("settings/preferences", views.settings_preferences, name="preferences"),
    path("settings/country", views.settings_country, name="country"),
    path("settings/tokens", views.token_list, name="tokens"),
    path("settings/tokens/<int:token_id>/revoke", views.token_revoke, name="token-revoke"),
    path("settings/sessions/<int:session_id>/end", views.session_end, name="session-end"),
]
