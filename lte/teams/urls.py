from django.urls import path

from lte.teams import views

app_name = "teams"
urlpatterns = [
    path("teams/", views.team_list, name="list"),
    path("teams/new", views.team_create, name="create"),
    path("teams/join", views.team_join_by_code, name="join-by-code"),
    path("teams/join/<str:code>", views.team_join, name="join"),
    path("teams/<uuid:team_id>/", views.team_detail, name="detail"),
    path("teams/<uuid:team_id>/share", views.team_share, name="share"),
    path("teams/<uuid:team_id>/leave", views.team_leave, name="leave"),
    path("teams/<uuid:team_id>/invite/new", views.invite_regenerate, name="invite-new"),
    path("teams/<uuid:team_id>/invite/revoke", views.invite_revoke, name="invite-revoke"),
    path("teams/<uuid:team_id>/posts", views.post_add, name="post-add"),
    path("teams/<uuid:team_id>/posts/<uuid:post_id>/delete", views.post_delete, name="post-delete"),
    path("teams/<uuid:team_id>/scripts", views.script_share, name="script-share"),
    path("teams/<uuid:team_id>/scripts/<uuid:shared_id>/copy", views.script_copy, name="script-copy"),
    path("teams/<uuid:team_id>/scripts/<uuid:shared_id>/delete", views.script_unshare, name="script-unshare"),
    path("teams/<uuid:team_id>/members/<uuid:member_id>/remove", views.member_remove, name="member-remove"),
]
